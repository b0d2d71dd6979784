//! Text written by people (replies, notes, descriptions, articles) as safe HTML: Markdown
//! rendered, then everything that is not safe removed. Used by the pages and by the article use
//! cases, which store the rendered body beside the text.

/// Renders text written by people (replies, notes, descriptions) as Markdown, then removes
/// everything that is not safe HTML (scripts, event handlers, styles, foreign links' referrers).
pub fn user_html(text: &str) -> String {
    let parser = pulldown_cmark::Parser::new_ext(text, pulldown_cmark::Options::ENABLE_TABLES);
    let mut html = String::with_capacity(text.len() * 2);
    pulldown_cmark::html::push_html(&mut html, parser);
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_html_keeps_formatting_and_drops_scripts() {
        let html = user_html(
            "**重启** 后恢复\n\n<script>alert(1)</script><img src=x onerror=alert(2)>\n\n[a](javascript:alert(3))",
        );
        assert!(html.contains("<strong>重启</strong>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(
            html.contains("<a"),
            "the link stays, without its script: {html}"
        );
    }
}
