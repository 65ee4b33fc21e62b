// A backend for the `small` fixture: `getItem` only. Shared by the ui cases.

pub struct Backend;

#[async_trait::async_trait]
impl api::LeadsApi for Backend {
    type Principal = String;

    async fn authenticate(
        &self,
        credentials: api::auth::Credentials,
    ) -> Result<String, api::auth::Unauthenticated> {
        match credentials {
            api::auth::Credentials::Basic { username, .. } => Ok(username),
        }
    }

    async fn get_item(
        &self,
        _principal: String,
        path: api::params::GetItemPath,
        _query: api::params::GetItemQuery,
    ) -> api::responses::GetItem {
        api::responses::GetItem::Ok(api::types::Item { id: path.id })
    }
}
