//! The notice's Markdown as HTML that the page's Content-Security-Policy and a careless edit
//! cannot turn into script: raw HTML is shown as text, links keep only http(s), mailto and
//! this site's paths, images become their text (an outside image would break `img-src`).

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

fn safe_link(destination: &str) -> bool {
    let lower = destination.trim().to_ascii_lowercase();
    lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:")
        || lower.starts_with('#')
        || (lower.starts_with('/') && !lower.starts_with("//"))
}

pub fn to_html(markdown: &str) -> String {
    let events =
        Parser::new_ext(markdown, Options::ENABLE_TABLES).filter_map(|event| match event {
            Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => Some(Event::Start(Tag::Link {
                link_type,
                dest_url: if safe_link(&dest_url) {
                    dest_url
                } else {
                    CowStr::Borrowed("#")
                },
                title,
                id,
            })),
            Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
            other => Some(other),
        });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn markdown_renders_and_nothing_in_it_runs() {
        let html = to_html(
            "## Rights\n\nWrite to [us](mailto:dpo@example.com) or [here](/privacy).\n\n\
             <script>alert(1)</script>\n\n<b onclick=\"x()\">bold</b> \
             [bad](javascript:alert(1)) ![pixel](https://tracker.example/p.gif)\n",
        );
        assert!(html.contains("<h2>Rights</h2>"), "{html}");
        assert!(html.contains("href=\"mailto:dpo@example.com\""), "{html}");
        assert!(html.contains("href=\"/privacy\""), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<b "), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("pixel"), "the image's text stays: {html}");
    }
}
