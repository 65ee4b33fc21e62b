//! Every lead of a list, page after page: `listLeads` followed through its `next` cursors.

use futures::stream::{self, BoxStream, StreamExt as _, TryStreamExt as _};

use crate::generated::{builder::ListLeads, types, Error};

impl<'a> ListLeads<'a> {
    /// Every lead this request selects, in its order, fetched one page at a time: the
    /// first request as built, then the same request with the `cursor` each page answers
    /// as `next`, until a page answers none.
    ///
    /// Each page costs the server what the first page costs, however deep the walk, and
    /// a walk sees every lead that matches throughout it exactly once, whatever is
    /// created or deleted meanwhile (a lead whose sort field changes during the walk may
    /// be seen twice or not at all). `limit` sets the page size; `page`, when set, says
    /// where the walk starts. A failed request ends the stream with its error; retries
    /// follow the client's [`RetryPolicy`](crate::RetryPolicy).
    ///
    /// ```no_run
    /// use futures::TryStreamExt as _;
    /// use leads_client::Client;
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = Client::with_basic_auth("http://localhost:3000/v1", "andrea.leo@f21.it", "123456")?;
    /// let mut leads = client
    ///     .list_leads()
    ///     .project_id("5b55e806c93dde00143163dd")
    ///     .tags(vec!["vip".parse::<leads_client::types::Tag>()?])
    ///     .limit(std::num::NonZeroU32::new(100).expect("100 is not zero"))
    ///     .stream();
    /// while let Some(lead) = leads.try_next().await? {
    ///     println!("{} {}", &*lead.id, lead.fullname.as_deref().unwrap_or("-"));
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn stream(self) -> BoxStream<'a, Result<types::Lead, Error<types::Error>>> {
        stream::try_unfold(Some(self), |request: Option<ListLeads<'a>>| async move {
            let Some(request) = request else {
                return Ok::<_, Error<types::Error>>(None);
            };
            let page = request.clone().send().await?.into_inner();
            let following = page.next.map(|cursor| request.cursor(cursor));
            Ok(Some((page.leads, following)))
        })
        .map_ok(|leads| stream::iter(leads.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
    }
}
