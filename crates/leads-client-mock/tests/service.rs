//! The README's example, as a test: a service built on the client, tested against a mock
//! of `getLead` that answers 404.

use leads_client::{types, Client};
use leads_client_mock::httpmock::MockServer;
use leads_client_mock::MockServerExt;

/// The service under test: a lead's display name, or `None` when there is no such lead.
async fn display_name(
    client: &Client,
    project: &str,
    id: &str,
) -> Result<Option<String>, leads_client::Error<types::Error>> {
    match client.get_lead().project_id(project).id(id).send().await {
        Ok(lead) => Ok(Some(
            lead.fullname
                .clone()
                .unwrap_or_else(|| lead.lead_id.clone()),
        )),
        Err(error) if error.status().is_some_and(|s| s.as_u16() == 404) => Ok(None),
        Err(error) => Err(error),
    }
}

#[tokio::test]
async fn a_missing_lead_has_no_display_name() {
    let project: types::ObjectId = "5b55e806c93dde00143163dd".parse().unwrap();
    let id: types::ObjectId = "5c81593adf767b0017d1aa66".parse().unwrap();
    let server = MockServer::start_async().await;
    let get_lead = server.get_lead(|when, then| {
        when.project_id(&project).id(&id);
        then.not_found(&types::Error {
            success: false,
            msg: "Object not found.".to_owned(),
        });
    });

    let client =
        Client::with_basic_auth(&server.base_url(), "agent@example.com", "secret").unwrap();
    let name = display_name(&client, &project, &id)
        .await
        .expect("a 404 is not an error");

    assert_eq!(name, None);
    get_lead.assert_async().await; // The service asked once, for that lead.
}
