//! Reading and acting on a tab whose scripts are off, through CDP's DOM and Input domains
//! alone. `Runtime.evaluate` does answer there, but nothing the page schedules runs (a promise
//! waiting on a timer never settles), so a walk that asked the page's JavaScript could hang on
//! it, or see what a script would have done: here nothing goes through it. Every call has a
//! deadline, so a browser that does not answer fails the flow by name instead of holding the
//! test.

use std::time::Duration;

use chromiumoxide::{
    Command,
    cdp::browser_protocol::{
        dom::{
            BackendNodeId, FocusParams, GetAttributesParams, GetContentQuadsParams,
            GetDocumentParams, GetOuterHtmlParams, NodeId, QuerySelectorParams,
            ScrollIntoViewIfNeededParams, SetAttributeValueParams,
        },
        emulation::SetScriptExecutionDisabledParams,
        input::{
            DispatchKeyEventParams, DispatchKeyEventType, DispatchMouseEventParams,
            DispatchMouseEventType, InsertTextParams, MouseButton,
        },
    },
};

use crate::browser::Tab;

/// Longest wait for one CDP answer; pages here answer in milliseconds.
const DEADLINE: Duration = Duration::from_secs(10);

/// How a call that was never answered is told from one answered with an error.
const NO_ANSWER: &str = "no answer";

/// Sends `command` (called `what` in errors) and waits at most [`DEADLINE`] for its answer.
pub async fn cdp<C: Command>(tab: &Tab, what: &str, command: C) -> Result<C::Response, String> {
    match tokio::time::timeout(DEADLINE, tab.page.execute(command)).await {
        Ok(Ok(answer)) => Ok(answer.result),
        Ok(Err(error)) => Err(format!("{what}: {error}")),
        Err(_) => Err(format!("{what}: {NO_ANSWER} within {DEADLINE:?}")),
    }
}

/// Turns the page's scripts off for this tab, as DevTools' "Disable JavaScript" does; it holds
/// for every document the tab loads after.
pub async fn scripts_off(tab: &Tab) -> Result<(), String> {
    cdp(
        tab,
        "Emulation.setScriptExecutionDisabled",
        SetScriptExecutionDisabledParams::new(true),
    )
    .await?;
    Ok(())
}

/// The document's root: its node (for queries) and its backend id (new for every document).
async fn root(tab: &Tab) -> Result<(NodeId, BackendNodeId), String> {
    let document = cdp(
        tab,
        "DOM.getDocument",
        GetDocumentParams::builder().depth(0).build(),
    )
    .await?;
    Ok((document.root.node_id, document.root.backend_node_id))
}

/// The backend id of the document shown, to tell the next document from it.
pub async fn document_id(tab: &Tab) -> Result<BackendNodeId, String> {
    Ok(root(tab).await?.1)
}

/// The first element matching `selector`, if any.
pub async fn node(tab: &Tab, selector: &str) -> Result<Option<NodeId>, String> {
    let (document, _) = root(tab).await?;
    let found = cdp(
        tab,
        "DOM.querySelector",
        QuerySelectorParams::new(document, selector),
    )
    .await?;
    // CDP answers node id 0 for "nothing matches".
    Ok((*found.node_id.inner() != 0).then_some(found.node_id))
}

pub async fn has(tab: &Tab, selector: &str) -> Result<bool, String> {
    Ok(node(tab, selector).await?.is_some())
}

/// The markup of the first element matching `selector` (empty when none).
pub async fn html(tab: &Tab, selector: &str) -> Result<String, String> {
    let Some(id) = node(tab, selector).await? else {
        return Ok(String::new());
    };
    Ok(cdp(
        tab,
        "DOM.getOuterHTML",
        GetOuterHtmlParams::builder().node_id(id).build(),
    )
    .await?
    .outer_html)
}

/// The text of the first element matching `selector`, tags dropped and white space
/// collapsed (empty when none): enough to read headings, notices and table cells.
pub async fn text(tab: &Tab, selector: &str) -> Result<String, String> {
    Ok(strip_tags(&html(tab, selector).await?))
}

fn strip_tags(markup: &str) -> String {
    let mut out = String::with_capacity(markup.len());
    let mut in_tag = false;
    for character in markup.chars() {
        match character {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(character),
            _ => {}
        }
    }
    let out = out
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&nbsp;", " ")
        .replace("&#39;", "'");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The path and query of the document the tab shows (chromiumoxide tracks it from frame
/// events, not from the page).
pub async fn here(tab: &Tab) -> Result<String, String> {
    let url = tokio::time::timeout(DEADLINE, tab.page.url())
        .await
        .map_err(|_| format!("the tab's URL: {NO_ANSWER}"))?
        .map_err(|e| format!("the tab's URL: {e}"))?
        .unwrap_or_default();
    Ok(url::Url::parse(&url)
        .map(|url| match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        })
        .unwrap_or(url))
}

/// The attribute `name` of the first element matching `selector`.
pub async fn attribute(tab: &Tab, selector: &str, name: &str) -> Result<String, String> {
    let id = required(tab, selector).await?;
    let pairs = cdp(tab, "DOM.getAttributes", GetAttributesParams::new(id))
        .await?
        .attributes;
    // CDP answers the attributes flat: name, value, name, value...
    pairs
        .chunks(2)
        .find(|pair| pair.first().is_some_and(|n| n == name))
        .and_then(|pair| pair.get(1).cloned())
        .ok_or_else(|| format!("{selector} has no {name}"))
}

async fn required(tab: &Tab, selector: &str) -> Result<NodeId, String> {
    match node(tab, selector).await? {
        Some(id) => Ok(id),
        None => Err(format!("no {selector} on {}", here(tab).await?)),
    }
}

/// Clicks the middle of the first element matching `selector` with the mouse, as a person.
pub async fn click(tab: &Tab, selector: &str) -> Result<(), String> {
    let id = required(tab, selector).await?;
    cdp(
        tab,
        "DOM.scrollIntoViewIfNeeded",
        ScrollIntoViewIfNeededParams::builder().node_id(id).build(),
    )
    .await?;
    let quads = cdp(
        tab,
        "DOM.getContentQuads",
        GetContentQuadsParams::builder().node_id(id).build(),
    )
    .await?
    .quads;
    let corners = quads
        .first()
        .map(|quad| quad.inner().clone())
        .filter(|corners| corners.len() == 8)
        .ok_or_else(|| format!("{selector} is not laid out"))?;
    // The quad's four corners (x, y pairs), relative to the viewport.
    let x = (corners[0] + corners[2] + corners[4] + corners[6]) / 4.0;
    let y = (corners[1] + corners[3] + corners[5] + corners[7]) / 4.0;
    for (kind, buttons) in [
        (DispatchMouseEventType::MouseMoved, 0),
        (DispatchMouseEventType::MousePressed, 1),
        (DispatchMouseEventType::MouseReleased, 0),
    ] {
        let mut event = DispatchMouseEventParams::builder()
            .r#type(kind.clone())
            .x(x)
            .y(y)
            .buttons(buttons);
        if kind != DispatchMouseEventType::MouseMoved {
            event = event.button(MouseButton::Left).click_count(1);
        }
        let event = event.build().map_err(|e| format!("a mouse event: {e}"))?;
        cdp(tab, "Input.dispatchMouseEvent", event).await?;
    }
    Ok(())
}

/// Focuses the field `selector` and types `value` at its end.
pub async fn type_in(tab: &Tab, selector: &str, value: &str) -> Result<(), String> {
    let id = required(tab, selector).await?;
    cdp(tab, "DOM.focus", FocusParams::builder().node_id(id).build()).await?;
    cdp(tab, "Input.insertText", InsertTextParams::new(value)).await?;
    Ok(())
}

/// Presses Enter in the focused element (a field's Enter submits its form).
pub async fn press_enter(tab: &Tab) -> Result<(), String> {
    for kind in [DispatchKeyEventType::KeyDown, DispatchKeyEventType::KeyUp] {
        let mut event = DispatchKeyEventParams::builder()
            .r#type(kind.clone())
            .key("Enter")
            .code("Enter")
            .windows_virtual_key_code(13)
            .native_virtual_key_code(13);
        if kind == DispatchKeyEventType::KeyDown {
            event = event.text("\r").unmodified_text("\r");
        }
        let event = event.build().map_err(|e| format!("a key event: {e}"))?;
        cdp(tab, "Input.dispatchKeyEvent", event).await?;
    }
    Ok(())
}

/// Sets the `value` attribute of the field `selector`: an untouched field takes it as its
/// value. For date fields, whose typed digits follow the browser's locale.
pub async fn set_value(tab: &Tab, selector: &str, value: &str) -> Result<(), String> {
    let id = required(tab, selector).await?;
    cdp(
        tab,
        "DOM.setAttributeValue",
        SetAttributeValueParams::new(id, "value", value),
    )
    .await?;
    Ok(())
}

/// What the tab showed before an action, so that its answer can be told from it (a form posted
/// to its own page's path arrives at the same URL).
pub struct Before {
    documents: usize,
    redirects: usize,
    document: BackendNodeId,
}

pub async fn before(tab: &Tab) -> Result<Before, String> {
    Ok(Before {
        documents: tab.documents_seen(),
        redirects: tab.redirects_seen().len(),
        document: document_id(tab).await?,
    })
}

/// Waits until a document newer than `before` shows, at a path and query that `wanted`
/// accepts (`what` names them in errors), parsed to its end: the confirmation dialog is the
/// last element of every page's body. Answers the path and query.
pub async fn arrive_where(
    tab: &Tab,
    before: &Before,
    what: &str,
    wanted: impl Fn(&str) -> bool,
) -> Result<String, String> {
    let mut shown = String::new();
    for _ in 0..200 {
        if tab.documents_seen() > before.documents {
            shown = here(tab).await?;
            if wanted(&shown) {
                // While the new document replaces the old, a node id just read may be gone
                // ("Could not find node"): that is "not yet", but no answer at all is not.
                match landed(tab, before).await {
                    Ok(true) => return Ok(shown),
                    Err(error) if error.contains(NO_ANSWER) => return Err(error),
                    Ok(false) | Err(_) => {}
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!(
        "expected a new page at {what}, the tab shows {shown:?}"
    ))
}

/// Whether the tab shows a document other than `before`'s, parsed to its end.
async fn landed(tab: &Tab, before: &Before) -> Result<bool, String> {
    Ok(document_id(tab).await? != before.document && has(tab, "#confirm-dialog").await?)
}

pub async fn arrive(tab: &Tab, before: &Before, path: &str) -> Result<(), String> {
    arrive_where(tab, before, path, |shown| shown == path).await?;
    Ok(())
}

/// Goes to `url` as typed into the address bar; answers what the tab showed before.
pub async fn go(tab: &Tab, url: &str) -> Result<Before, String> {
    let before = before(tab).await?;
    tokio::time::timeout(DEADLINE, tab.page.goto(url))
        .await
        .map_err(|_| format!("{url}: {NO_ANSWER} within {DEADLINE:?}"))?
        .map_err(|e| format!("{url}: {e}"))?;
    Ok(before)
}

/// Opens `url` and waits for its page at `path`.
pub async fn open(tab: &Tab, url: &str, path: &str) -> Result<(), String> {
    let before = go(tab, url).await?;
    arrive(tab, &before, path).await
}

/// Checks that since `before` the tab was sent on by a 303 from a URL whose path is `from`.
pub fn redirected(tab: &Tab, before: &Before, from: &str) -> Result<(), String> {
    let redirects = tab.redirects_seen();
    let since = redirects.get(before.redirects..).unwrap_or_default();
    let found = since.iter().any(|(url, status)| {
        *status == 303 && url::Url::parse(url).is_ok_and(|url| url.path() == from)
    });
    if found {
        Ok(())
    } else {
        Err(format!("no 303 from {from}; redirects since: {since:?}"))
    }
}
