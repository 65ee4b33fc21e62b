//! The server's implementation of the generated [`LeadsApi`] trait: a thin adapter that
//! checks the caller's role in the project of the path, calls the store, and maps the
//! outcome onto the operation's response enum.
//!
//! Order of checks, for every lead operation: credentials (401, in the router), then the
//! credential version and the role in the project of the path, read in one query (401 for
//! revoked credentials, 403), then the lead, looked up in that project only (404).

mod convert;
mod cursor;
mod idempotency;

use crate::auth::{AuthError, Credentials, Principal};
use crate::export::csv_stream;
use crate::store::{LeadEdit, Role, Start, StatusFilter, StoreError};
use crate::AppState;
use async_trait::async_trait;
use leads_api::{auth, params, responses, types, LeadsApi};
use std::num::NonZeroU32;

/// The caller as the router hands it to each operation. Authentication can fail for an
/// internal reason (the database is down, a stored hash is broken); that must answer 503
/// or 500, not 401, and the trait's `authenticate` can only say 401, so the fault travels
/// to the operation instead.
#[derive(Debug)]
pub struct Caller(Result<Principal, Fault>);

/// A fault already logged.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// Transient: answered 503, worth a retry.
    Unavailable,
    /// Internal: answered 500.
    Internal,
}

/// Why an operation did not succeed.
#[derive(Debug)]
enum Failure {
    BadRequest(String),
    Unauthenticated,
    Forbidden(String),
    NotFound,
    Conflict(String),
    Unavailable,
    Internal,
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Failure::from(Fault::from(error))
    }
}

impl From<StoreError> for Fault {
    fn from(error: StoreError) -> Self {
        if error.is_transient() {
            if error.is_pool_timeout() {
                crate::metrics::global().pool_timeout();
            }
            tracing::warn!(%error, "storage unavailable; answering 503");
            Fault::Unavailable
        } else {
            tracing::error!(%error, "storage failed");
            Fault::Internal
        }
    }
}

impl From<AuthError> for Failure {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Unauthenticated => Failure::Unauthenticated,
            AuthError::Store(error) => Failure::from(error),
            AuthError::Verify(error) => {
                tracing::error!(%error, "cannot check credentials");
                Failure::Internal
            }
        }
    }
}

impl From<convert::Unrepresentable> for Failure {
    fn from(error: convert::Unrepresentable) -> Self {
        tracing::error!(%error, "cannot answer a stored lead");
        Failure::Internal
    }
}

impl From<Fault> for Failure {
    fn from(fault: Fault) -> Self {
        match fault {
            Fault::Unavailable => Failure::Unavailable,
            Fault::Internal => Failure::Internal,
        }
    }
}

/// The spec's `msg` for a lead that is not in the project.
const NOT_FOUND: &str = "Object not found.";
/// The `msg` of every 500; details are in the log under the request id.
const INTERNAL: &str = "internal error";
/// The `msg` of a 503 from storage; `Retry-After` is added on the way out.
const UNAVAILABLE: &str = "the server is busy; retry later";
/// The `msg` of a 401 for credentials that were revoked or whose user is gone.
const REVOKED: &str = "credentials are wrong or expired";

/// Maps an operation's outcome onto its response enum; `no_404` for the operations whose
/// enum has no `NotFound` (they never look up one lead).
macro_rules! respond {
    ($op:ident, $outcome:expr) => {
        match $outcome {
            Ok(body) => responses::$op::Ok(body),
            Err(Failure::NotFound) => responses::$op::NotFound(types::Error::new(NOT_FOUND)),
            Err(failure) => respond!(@common $op, failure),
        }
    };
    ($op:ident, $outcome:expr, no_404) => {
        match $outcome {
            Ok(body) => responses::$op::Ok(body),
            Err(failure) => respond!(@common $op, failure),
        }
    };
    (@common $op:ident, $failure:expr) => {
        match $failure {
            Failure::BadRequest(msg) => responses::$op::BadRequest(types::Error::new(msg)),
            Failure::Unauthenticated => responses::$op::Unauthorized(types::Error::new(REVOKED)),
            Failure::Forbidden(msg) => responses::$op::Forbidden(types::Error::new(msg)),
            Failure::Unavailable => {
                responses::$op::ServiceUnavailable(types::Error::new(UNAVAILABLE))
            }
            Failure::NotFound | Failure::Conflict(_) | Failure::Internal => {
                responses::$op::InternalServerError(types::Error::new(INTERNAL))
            }
        }
    };
}

/// Passes a role of `min` or higher; refuses a lower one or none.
fn require(role: Option<Role>, min: Role) -> Result<(), Failure> {
    match role {
        None => Err(Failure::Forbidden(
            "you are not a member of this project".to_owned(),
        )),
        Some(role) if role < min => Err(Failure::Forbidden(if min == Role::Owner {
            "this operation requires the role `owner` in the project".to_owned()
        } else {
            format!("this operation requires the role `{min}` or higher in the project")
        })),
        Some(_) => Ok(()),
    }
}

impl AppState {
    /// The caller's user id, when its role in `project_id` is `min` or higher.
    async fn authorize(
        &self,
        caller: Caller,
        project_id: &str,
        min: Role,
    ) -> Result<String, Failure> {
        let principal = caller.0?;
        require(self.auth.role_in(&principal, project_id).await?, min)?;
        Ok(principal.user_id)
    }

    /// Applies `edit` to a lead of the project, for a caller with at least `agent`.
    async fn edit(
        &self,
        caller: Caller,
        project_id: &str,
        id: &str,
        edit: LeadEdit,
    ) -> Result<types::Lead, Failure> {
        self.authorize(caller, project_id, Role::Agent).await?;
        let lead = self
            .store
            .edit_lead(project_id, id, &edit)
            .await?
            .ok_or(Failure::NotFound)?;
        Ok(convert::lead(lead)?)
    }

    async fn signin_inner(
        &self,
        body: types::SigninRequest,
    ) -> Result<Option<types::SigninResponse>, Failure> {
        let Some(user) = self
            .auth
            .check_password(&body.email, &body.password)
            .await?
        else {
            return Ok(None);
        };
        let token = self
            .auth
            .keys()
            .issue(&user.id, user.credential_version)
            .map_err(|error| {
                tracing::error!(%error, "cannot sign a token");
                Failure::Internal
            })?;
        let projects = self
            .store
            .memberships(&user.id)
            .await?
            .into_iter()
            .map(|m| {
                Ok(types::Membership {
                    id_project: types::ObjectId::try_from(m.project_id).map_err(|e| {
                        tracing::error!(error = %e, "stored project id is malformed");
                        Failure::Internal
                    })?,
                    role: convert::role(m.role),
                })
            })
            .collect::<Result<_, Failure>>()?;
        Ok(Some(types::SigninResponse {
            success: true,
            token: format!("JWT {token}"),
            user: types::User {
                id: types::ObjectId::try_from(user.id).map_err(|e| {
                    tracing::error!(error = %e, "stored user id is malformed");
                    Failure::Internal
                })?,
                email: user.email,
                projects,
            },
        }))
    }

    async fn list_inner(
        &self,
        caller: Caller,
        project_id: &str,
        query: params::ListLeadsQuery,
    ) -> Result<types::LeadList, Failure> {
        let (page, limit) = (query.page, query.limit);
        let cursor = query.cursor.clone();
        let filters =
            convert::Filters::from(query).into_query(StatusFilter::Is(crate::store::STATUS_NORMAL));
        self.authorize(caller, project_id, Role::Agent).await?;
        let per_page = u32::try_from(limit)
            .ok()
            .and_then(NonZeroU32::new)
            .ok_or_else(|| Failure::BadRequest("`limit` must be from 1 to 100".to_owned()))?;
        let key = self.auth.cursor_key();
        // With a cursor, `page` is ignored, as the spec says: the cursor alone says where
        // the page starts.
        let start = match cursor {
            Some(cursor) => Start::After(
                cursor::open(key, project_id, &filters, &cursor)
                    .map_err(|refused| Failure::BadRequest(refused.to_string()))?,
            ),
            None => Start::Offset(i64::from(page) * i64::from(limit)),
        };
        let found = self
            .store
            .list_page(project_id, &filters, &start, i64::from(limit))
            .await?;
        let count = u64::try_from(found.count).map_err(|_| {
            tracing::error!(count = found.count, "a stored count is negative");
            Failure::Internal
        })?;
        let next = found
            .next
            .map(|at| {
                let issued = cursor::issue(key, project_id, &filters, &at).map_err(|error| {
                    tracing::error!(%error, "cannot issue the next cursor");
                    Failure::Internal
                })?;
                types::Cursor::try_from(issued).map_err(|error| {
                    tracing::error!(%error, "an issued cursor breaks the spec's pattern");
                    Failure::Internal
                })
            })
            .transpose()?;
        Ok(types::LeadList {
            per_page,
            count,
            leads: found
                .leads
                .into_iter()
                .map(convert::lead)
                .collect::<Result<_, _>>()?,
            next,
        })
    }
}

#[async_trait]
impl LeadsApi for AppState {
    type Principal = Caller;

    async fn authenticate(
        &self,
        credentials: auth::Credentials,
    ) -> Result<Caller, auth::Unauthenticated> {
        let credentials = match credentials {
            auth::Credentials::Basic { username, password } => Credentials::Basic {
                email: username,
                password,
            },
            auth::Credentials::Jwt(token) | auth::Credentials::Bearer(token) => {
                Credentials::Token(token)
            }
        };
        match self.auth.authenticate(&credentials).await {
            Ok(principal) => Ok(Caller(Ok(principal))),
            Err(AuthError::Unauthenticated) => Err(auth::Unauthenticated::new(REVOKED)),
            Err(AuthError::Store(error)) => Ok(Caller(Err(Fault::from(error)))),
            Err(AuthError::Verify(error)) => {
                tracing::error!(%error, "cannot check credentials");
                Ok(Caller(Err(Fault::Internal)))
            }
        }
    }

    async fn signin(&self, body: types::SigninRequest) -> responses::Signin {
        match self.signin_inner(body).await {
            Ok(Some(ok)) => responses::Signin::Ok(ok),
            Ok(None) => responses::Signin::Unauthorized(types::Error::new(
                "the email or the password is wrong",
            )),
            Err(Failure::BadRequest(msg)) => responses::Signin::BadRequest(types::Error::new(msg)),
            Err(Failure::Unavailable) => {
                responses::Signin::ServiceUnavailable(types::Error::new(UNAVAILABLE))
            }
            Err(_) => responses::Signin::InternalServerError(types::Error::new(INTERNAL)),
        }
    }

    async fn list_leads(
        &self,
        caller: Caller,
        path: params::ListLeadsPath,
        query: params::ListLeadsQuery,
    ) -> responses::ListLeads {
        respond!(
            ListLeads,
            self.list_inner(caller, &path.project_id, query).await,
            no_404
        )
    }

    async fn create_lead(
        &self,
        caller: Caller,
        path: params::CreateLeadPath,
        headers: params::CreateLeadHeaders,
        body: types::LeadCreate,
    ) -> responses::CreateLead {
        let outcome = async {
            let user_id = self
                .authorize(caller, &path.project_id, Role::Agent)
                .await?;
            match headers.idempotency_key {
                Some(key) => {
                    idempotency::create(&self.store, &path.project_id, user_id, key, body).await
                }
                None => {
                    let lead = self
                        .store
                        .create_lead(&path.project_id, convert::new_lead(body, user_id))
                        .await?;
                    Ok(convert::lead(lead)?)
                }
            }
        };
        match outcome.await {
            Err(Failure::Conflict(msg)) => responses::CreateLead::Conflict(types::Error::new(msg)),
            outcome => respond!(CreateLead, outcome, no_404),
        }
    }

    async fn export_leads_csv(
        &self,
        caller: Caller,
        path: params::ExportLeadsCsvPath,
        query: params::ExportLeadsCsvQuery,
    ) -> responses::ExportLeadsCsv {
        let outcome = async {
            let query = convert::Filters::from(query).into_query(StatusFilter::NotDeleted);
            self.authorize(caller, &path.project_id, Role::Agent)
                .await?;
            let rows = self.store.export_leads(&path.project_id, query);
            Ok(responses::CsvBody::new(csv_stream(rows)).with_file_name("leads.csv"))
        };
        respond!(ExportLeadsCsv, outcome.await, no_404)
    }

    async fn get_lead(&self, caller: Caller, path: params::GetLeadPath) -> responses::GetLead {
        let outcome = async {
            // The role and the lead are read in one call to the store; a lead read
            // for a caller without the role is dropped unseen.
            let principal = caller.0?;
            let found = self
                .store
                .lead_for_member(&principal.user_id, &path.project_id, &path.id)
                .await?;
            let (access, lead) = found.map_or((None, None), |(access, lead)| (Some(access), lead));
            require(self.auth.current(&principal, access)?, Role::Agent)?;
            Ok(convert::lead(lead.ok_or(Failure::NotFound)?)?)
        };
        respond!(GetLead, outcome.await)
    }

    async fn update_lead(
        &self,
        caller: Caller,
        path: params::UpdateLeadPath,
        body: types::LeadUpdate,
    ) -> responses::UpdateLead {
        let edit = LeadEdit::Update(Box::new(convert::changes(body)));
        respond!(
            UpdateLead,
            self.edit(caller, &path.project_id, &path.id, edit).await
        )
    }

    async fn delete_lead(
        &self,
        caller: Caller,
        path: params::DeleteLeadPath,
    ) -> responses::DeleteLead {
        let edit = LeadEdit::SoftDelete;
        respond!(
            DeleteLead,
            self.edit(caller, &path.project_id, &path.id, edit).await
        )
    }

    async fn delete_lead_physically(
        &self,
        caller: Caller,
        path: params::DeleteLeadPhysicallyPath,
    ) -> responses::DeleteLeadPhysically {
        let outcome = async {
            self.authorize(caller, &path.project_id, Role::Owner)
                .await?;
            let lead = self
                .store
                .delete_lead(&path.project_id, &path.id)
                .await?
                .ok_or(Failure::NotFound)?;
            Ok(convert::lead(lead)?)
        };
        respond!(DeleteLeadPhysically, outcome.await)
    }

    async fn add_lead_tags(
        &self,
        caller: Caller,
        path: params::AddLeadTagsPath,
        body: types::TagList,
    ) -> responses::AddLeadTags {
        let edit = LeadEdit::AddTags(convert::tags(body.0));
        respond!(
            AddLeadTags,
            self.edit(caller, &path.project_id, &path.id, edit).await
        )
    }

    async fn remove_lead_tag(
        &self,
        caller: Caller,
        path: params::RemoveLeadTagPath,
    ) -> responses::RemoveLeadTag {
        let edit = LeadEdit::RemoveTag(path.tag.into());
        respond!(
            RemoveLeadTag,
            self.edit(caller, &path.project_id, &path.id, edit).await
        )
    }

    async fn merge_lead_attributes(
        &self,
        caller: Caller,
        path: params::MergeLeadAttributesPath,
        body: types::FreeForm,
    ) -> responses::MergeLeadAttributes {
        let edit = LeadEdit::MergeAttributes(body.0);
        respond!(
            MergeLeadAttributes,
            self.edit(caller, &path.project_id, &path.id, edit).await
        )
    }

    async fn add_lead_properties(
        &self,
        caller: Caller,
        path: params::AddLeadPropertiesPath,
        body: types::FreeForm,
    ) -> responses::AddLeadProperties {
        let edit = LeadEdit::MergeProperties(body.0);
        respond!(
            AddLeadProperties,
            self.edit(caller, &path.project_id, &path.id, edit).await
        )
    }

    async fn merge_lead_properties(
        &self,
        caller: Caller,
        path: params::MergeLeadPropertiesPath,
        body: types::FreeForm,
    ) -> responses::MergeLeadProperties {
        let edit = LeadEdit::MergeProperties(body.0);
        respond!(
            MergeLeadProperties,
            self.edit(caller, &path.project_id, &path.id, edit).await
        )
    }
}
