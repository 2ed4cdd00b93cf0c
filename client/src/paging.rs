//! Paged lists: one page at a time, or every item as a lazily fetched stream.

use crate::Error;
use futures::stream::{self, BoxStream, StreamExt};
use std::future::Future;

/// Every item of a list, fetched a page at a time as the stream is consumed.
///
/// The first page is fetched on the first poll, the next one only once the items of the
/// previous one have been taken. An error ends the stream after it is yielded.
///
/// ```no_run
/// use futures::TryStreamExt;
///
/// # async fn demo(client: roster_client::RosterClient) -> Result<(), roster_client::Error> {
/// let districts: Vec<_> = client.list_districts().try_collect().await?;
/// let mut runs = client.list_sync_runs(&districts[0].id);
/// while let Some(run) = runs.try_next().await? {
///     println!("{} {}", run.id, run.state);
/// }
/// # Ok(()) }
/// ```
pub type ItemStream<T> = BoxStream<'static, Result<T, Error>>;

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next_page_token: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from its items and the wire token (empty on the last page).
    pub(crate) fn new(items: Vec<T>, next_page_token: String) -> Self {
        Page {
            items,
            next_page_token: crate::types::text(next_page_token),
        }
    }

    /// The request for the page after this one, or `None` if this is the last.
    pub fn next_request(&self, page_size: u32) -> Option<PageRequest> {
        self.next_page_token.as_ref().map(|token| PageRequest {
            page_size,
            page_token: Some(token.clone()),
        })
    }
}

/// Which page of a list to fetch.
///
/// ```
/// let first = roster_client::PageRequest::first(100);
/// assert_eq!(first.page_size, 100);
/// assert!(first.page_token.is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// Most items to return; 0 lets the server choose (50). At most 1000.
    pub page_size: u32,
    /// The `next_page_token` of the previous page; `None` for the first page.
    pub page_token: Option<String>,
}

impl PageRequest {
    /// The first page, with up to `page_size` items.
    pub fn first(page_size: u32) -> Self {
        PageRequest {
            page_size,
            page_token: None,
        }
    }

    /// The wire page size.
    pub(crate) fn size(&self) -> i32 {
        i32::try_from(self.page_size).unwrap_or(i32::MAX)
    }

    /// The wire page token.
    pub(crate) fn token(&self) -> String {
        self.page_token.clone().unwrap_or_default()
    }
}

/// Where a lazy list stands: the items not yet yielded and the page to fetch next.
struct Lister<T, F> {
    fetch: F,
    page_size: u32,
    buffered: std::vec::IntoIter<T>,
    next: Option<PageRequest>,
}

/// Yields the next item, fetching the next page first if the buffered ones are used up.
async fn advance<T, F, Fut>(mut lister: Lister<T, F>) -> Result<Option<(T, Lister<T, F>)>, Error>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, Error>>,
{
    loop {
        if let Some(item) = lister.buffered.next() {
            return Ok(Some((item, lister)));
        }
        let Some(request) = lister.next.take() else {
            return Ok(None);
        };
        let page = (lister.fetch)(request).await?;
        lister.next = page.next_request(lister.page_size);
        lister.buffered = page.items.into_iter();
    }
}

/// A stream of every item of a list, given how to fetch one page.
pub(crate) fn items<T, F, Fut>(page_size: u32, fetch: F) -> ItemStream<T>
where
    T: Send + 'static,
    F: FnMut(PageRequest) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>, Error>> + Send + 'static,
{
    let lister = Lister {
        fetch,
        page_size,
        buffered: Vec::new().into_iter(),
        next: Some(PageRequest::first(page_size)),
    };
    stream::try_unfold(lister, advance::<T, F, Fut>).boxed()
}
