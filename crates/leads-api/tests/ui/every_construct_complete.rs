//! The `every_construct` fixture's generated code compiles, and a backend can serve it.

use api::{auth, params, responses, types};

mod api {
    include!("../../../leads-codegen/tests/fixtures/every_construct.rs");
}

struct Backend;

fn error() -> types::Error {
    types::Error::new("no")
}

#[async_trait::async_trait]
impl api::LeadsApi for Backend {
    type Principal = ();

    async fn authenticate(&self, credentials: auth::Credentials) -> Result<(), auth::Unauthenticated> {
        match credentials {
            auth::Credentials::Basic { .. } | auth::Credentials::Jwt(_) | auth::Credentials::Bearer(_) => Ok(()),
        }
    }

    async fn signin(&self, _body: types::Credentials) -> responses::Signin {
        responses::Signin::Unauthorized(error())
    }

    async fn list_things(&self, _: (), _: params::ListThingsPath, query: params::ListThingsQuery) -> responses::ListThings {
        let _: (i32, Option<i64>, Option<String>, Option<bool>, Vec<types::Tag>, Option<types::Kind>, Option<types::Order>) =
            (query.limit, query.offset, query.q, query.archived, query.tags, query.kind, query.order);
        responses::ListThings::BadRequest(error())
    }

    async fn create_thing(&self, _: (), _: params::CreateThingPath, headers: params::CreateThingHeaders, _: types::ThingCreate) -> responses::CreateThing {
        let _: (Option<String>, types::Tag) = (headers.idempotency_key, headers.x_tag);
        responses::CreateThing::PayloadTooLarge(error())
    }

    async fn export_things(&self, _: (), _: params::ExportThingsPath) -> responses::ExportThings {
        responses::ExportThings::Ok(responses::CsvBody::from_bytes("a;b\r\n"))
    }

    async fn delete_thing(&self, _: (), _: params::DeleteThingPath) -> responses::DeleteThing {
        responses::DeleteThing::NoContent
    }

    async fn merge_thing(&self, _: (), _: params::MergeThingPath, _: Option<types::FreeForm>) -> responses::MergeThing {
        responses::MergeThing::NotFound(error())
    }
}

fn main() {
    let _router: axum::Router = api::router(std::sync::Arc::new(Backend));
    let _defaults = params::ListThingsQuery::default();
}
