//! The one pagination of the portal: the `pagina` query parameter read once, the offset of a
//! page, and the links to the previous and next pages that the `pagination` macro shows.

/// A 1-based page of `size` rows, read from `pagina` (anything unreadable is page 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub number: i64,
    pub size: i64,
}

impl Page {
    /// Pages past `max` are clamped to it, so offsets stay far from overflowing.
    pub fn read(pagina: &str, size: i64, max: i64) -> Page {
        let number = pagina
            .trim()
            .parse::<i64>()
            .unwrap_or(1)
            .clamp(1, max.max(1));
        Page { number, size }
    }

    /// Rows skipped before this page.
    pub fn offset(&self) -> i64 {
        (self.number - 1) * self.size
    }

    /// How many pages `total` rows fill (at least one, even empty).
    pub fn count_for(&self, total: i64) -> i64 {
        ((total + self.size - 1) / self.size).max(1)
    }

    /// The links around this page; `href(n)` builds the address of page `n`.
    pub fn links(&self, has_next: bool, href: impl Fn(i64) -> String) -> PageLinks {
        PageLinks {
            number: self.number,
            prev: (self.number > 1).then(|| href(self.number - 1)),
            next: has_next.then(|| href(self.number + 1)),
        }
    }
}

/// What a page shows of the pagination: its number and the links around it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageLinks {
    pub number: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_or_out_of_range_pages_are_clamped() {
        assert_eq!(Page::read("", 50, 10).number, 1);
        assert_eq!(Page::read("abc\u{0}", 50, 10).number, 1);
        assert_eq!(Page::read("-3", 50, 10).number, 1);
        assert_eq!(Page::read(" 4 ", 50, 10).number, 4);
        assert_eq!(Page::read("99999999999999999999", 50, 10).number, 1);
        assert_eq!(Page::read("11", 50, 10).number, 10);
    }

    #[test]
    fn offset_count_and_links() {
        let page = Page::read("3", 50, 100);
        assert_eq!(page.offset(), 100);
        assert_eq!(page.count_for(0), 1);
        assert_eq!(page.count_for(101), 3);
        let links = page.links(false, |n| format!("?pagina={n}"));
        assert_eq!(links.prev.as_deref(), Some("?pagina=2"));
        assert_eq!(links.next, None);
    }
}
