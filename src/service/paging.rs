//! Keyset paging of list RPCs: a page size within the RPC's limits, and the page token the
//! server handed out (the last id of the previous page).

use tonic::Status;

use super::invalid;

/// What a list RPC allows: the page size when none is asked for, and the most it gives.
pub struct PageLimits {
    pub default: u32,
    pub max: u32,
}

/// A checked page request: how many rows, after which id.
pub struct Page {
    pub size: u32,
    pub after_id: Option<i64>,
}

impl PageLimits {
    /// Checks `page_size` and `page_token`; each refusal names its field.
    pub fn page(&self, page_size: u32, page_token: &str) -> Result<Page, Status> {
        let size = match page_size {
            0 => self.default,
            n if n <= self.max => n,
            n => {
                return Err(invalid(
                    "page_size",
                    format!("{n} is over the limit of {}", self.max),
                ));
            }
        };
        let after_id = match page_token {
            "" => None,
            token => Some(
                token
                    .parse::<i64>()
                    .ok()
                    .filter(|id| *id > 0)
                    .ok_or_else(|| invalid("page_token", "is not a token this server issued"))?,
            ),
        };
        Ok(Page { size, after_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: PageLimits = PageLimits {
        default: 50,
        max: 200,
    };

    #[test]
    fn sizes_default_and_stop_at_the_limit() {
        assert_eq!(LIMITS.page(0, "").unwrap().size, 50);
        assert_eq!(LIMITS.page(200, "").unwrap().size, 200);
        let refused = LIMITS.page(201, "").err().unwrap();
        assert!(refused.message().contains("page_size"), "{refused:?}");
    }

    #[test]
    fn tokens_are_positive_ids() {
        assert_eq!(LIMITS.page(0, "17").unwrap().after_id, Some(17));
        for bad in ["0", "-3", "abc", "1.5"] {
            let refused = LIMITS.page(0, bad).err().unwrap();
            assert!(
                refused.message().contains("page_token"),
                "{bad}: {refused:?}"
            );
        }
    }
}
