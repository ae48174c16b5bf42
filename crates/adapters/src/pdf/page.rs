//! Positioned content and the pages it flows onto: blocks of text lines and rules, stacked
//! top to bottom on A4 pages, with a new page when the next block does not fit.
//!
//! A block never splits across pages, so a table row, a party's address or the totals stay
//! together; blocks are small (one table row at most a few lines), so no page is left much
//! emptier than it needs to be. Coordinates are PDF points (1/72 in) from the page's top-left
//! corner, y downwards; the writer turns them into PDF's bottom-up space.

use super::text::Face;

/// A4, the paper size of invoices nearly everywhere but North America, where it still prints
/// (scaled down by 3 % at most).
pub(super) const PAGE_WIDTH: f32 = 595.28;
pub(super) const PAGE_HEIGHT: f32 = 841.89;
/// Baseline-to-baseline distance, as a multiple of the font size.
const LINE_SPACING: f32 = 1.25;

/// Millimetres in points.
pub(super) fn mm(millimetres: f32) -> f32 {
    millimetres * 72.0 / 25.4
}

/// The two styles of the family: the regular and bold faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Weight {
    Regular,
    Bold,
}

/// How a text is set: face, size in points and grey level (0 black, 1 white).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Style {
    pub(super) weight: Weight,
    pub(super) size: f32,
    pub(super) gray: f32,
}

impl Style {
    pub(super) fn new(size: f32) -> Self {
        Self {
            weight: Weight::Regular,
            size,
            gray: 0.0,
        }
    }

    pub(super) fn bold(self) -> Self {
        Self {
            weight: Weight::Bold,
            ..self
        }
    }

    pub(super) fn gray(self, gray: f32) -> Self {
        Self { gray, ..self }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Align {
    Left,
    Right,
}

/// The family's faces, parsed for one document.
pub(super) struct Faces<'a> {
    pub(super) regular: Face<'a>,
    pub(super) bold: Face<'a>,
}

impl<'a> Faces<'a> {
    pub(super) fn get(&self, weight: Weight) -> &Face<'a> {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }
}

/// What is drawn, where.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Item {
    /// One line of text, starting at `x` on its baseline.
    Text {
        x: f32,
        baseline: f32,
        style: Style,
        text: String,
    },
    /// A horizontal line.
    Rule {
        x: f32,
        y: f32,
        width: f32,
        thickness: f32,
        gray: f32,
    },
}

/// A horizontal stretch of the page: a column, a cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Span {
    pub(super) x: f32,
    pub(super) width: f32,
}

impl Span {
    /// The span cut into columns in proportion to `weights`.
    pub(super) fn columns<const N: usize>(self, weights: [f32; N]) -> [Span; N] {
        let total: f32 = weights.iter().sum();
        let mut x = self.x;
        weights.map(|weight| {
            let width = self.width * weight / total;
            let column = Span { x, width };
            x += width;
            column
        })
    }

    /// The span less `by` on each side.
    pub(super) fn inset(self, by: f32) -> Span {
        Span {
            x: self.x + by,
            width: (self.width - 2.0 * by).max(0.0),
        }
    }
}

/// Items laid out from a top edge at 0, and the height they take.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Block {
    items: Vec<Item>,
    height: f32,
}

impl Block {
    /// `text` in `style`, wrapped to the span and aligned in it; one empty line when empty.
    pub(super) fn text(
        faces: &Faces<'_>,
        span: Span,
        style: Style,
        align: Align,
        text: &str,
    ) -> Self {
        let face = faces.get(style.weight);
        let line_height = style.size * LINE_SPACING;
        let ascent = face.scale(f32::from(face.ttf().ascender()), style.size);
        let descent = face.scale(f32::from(face.ttf().descender()), style.size);
        // The glyphs' extent, centred in the line.
        let baseline = (line_height - (ascent - descent)) / 2.0 + ascent;
        let mut block = Self::default();
        for line in face.wrap(text, style.size, span.width) {
            if !line.is_empty() {
                let x = match align {
                    Align::Left => span.x,
                    Align::Right => span.x + span.width - face.width(&line, style.size),
                };
                block.items.push(Item::Text {
                    x,
                    baseline: block.height + baseline,
                    style,
                    text: line,
                });
            }
            block.height += line_height;
        }
        block
    }

    pub(super) fn height(&self) -> f32 {
        self.height
    }

    /// `other` under this block.
    pub(super) fn above(mut self, mut other: Block) -> Self {
        other.shift(self.height);
        self.items.append(&mut other.items);
        self.height += other.height;
        self
    }

    /// Blocks laid out side by side (each in its own span already): a table row, as high as
    /// its highest cell.
    pub(super) fn beside(cells: impl IntoIterator<Item = Block>) -> Self {
        cells
            .into_iter()
            .fold(Self::default(), |mut row, mut cell| {
                row.items.append(&mut cell.items);
                row.height = row.height.max(cell.height);
                row
            })
    }

    /// `by` of empty space above and below.
    pub(super) fn padded(mut self, by: f32) -> Self {
        self.shift(by);
        self.height += 2.0 * by;
        self
    }

    /// A rule along the block's bottom edge, across `span`.
    pub(super) fn ruled(mut self, span: Span, thickness: f32, gray: f32) -> Self {
        self.items.push(Item::Rule {
            x: span.x,
            y: self.height,
            width: span.width,
            thickness,
            gray,
        });
        self
    }

    fn shift(&mut self, dy: f32) {
        for item in &mut self.items {
            match item {
                Item::Text { baseline: y, .. } | Item::Rule { y, .. } => *y += dy,
            }
        }
    }
}

/// The pages so far, and where on the last one the next block goes.
#[derive(Debug)]
pub(super) struct Pages {
    pages: Vec<Vec<Item>>,
    margin: f32,
    /// The top of the free space on the last page.
    y: f32,
}

impl Pages {
    pub(super) fn new(margin: f32) -> Self {
        Self {
            pages: vec![Vec::new()],
            margin,
            y: margin,
        }
    }

    /// Between the left and right margins.
    pub(super) fn span(&self) -> Span {
        Span {
            x: self.margin,
            width: PAGE_WIDTH - 2.0 * self.margin,
        }
    }

    /// Whether `height` fits on the current page, below what is already there.
    pub(super) fn fits(&self, height: f32) -> bool {
        self.y + height <= PAGE_HEIGHT - self.margin
    }

    /// The block on the current page, or at the top of a new one when it does not fit. A block
    /// taller than a whole page gets a page of its own and runs into the bottom margin.
    pub(super) fn place(&mut self, mut block: Block) {
        if !self.fits(block.height) && !self.current_is_empty() {
            self.break_page();
        }
        block.shift(self.y);
        self.y += block.height;
        self.current().append(&mut block.items);
    }

    /// Vertical space, except at the top of a page.
    pub(super) fn space(&mut self, height: f32) {
        if !self.current_is_empty() {
            self.y += height;
        }
    }

    pub(super) fn break_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = self.margin;
    }

    /// The pages' items; with more than one page, each gets `{label} – page n of N` at its
    /// foot, so that a loose page can be put back where it belongs.
    pub(super) fn finish(mut self, faces: &Faces<'_>, style: Style, label: &str) -> Vec<Vec<Item>> {
        let count = self.pages.len();
        if count > 1 {
            let foot = Span {
                x: self.margin,
                width: PAGE_WIDTH - 2.0 * self.margin,
            };
            let top = PAGE_HEIGHT - self.margin + style.size;
            for (index, page) in self.pages.iter_mut().enumerate() {
                let text = format!("{label} – page {} of {count}", index + 1);
                let mut block = Block::text(faces, foot, style, Align::Right, &text);
                block.shift(top);
                page.append(&mut block.items);
            }
        }
        self.pages
    }

    fn current_is_empty(&self) -> bool {
        self.pages.last().is_none_or(Vec::is_empty)
    }

    fn current(&mut self) -> &mut Vec<Item> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }
}
