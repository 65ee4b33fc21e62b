//! The single-lead commands: get, create, update, delete, restore, tags, merges.

use leads_client::types::{self, Lead, LeadUpdate};

use crate::body;
use crate::cli::{CreateArgs, DeleteArgs, IdArg, MergeCommand, TagCommand, UpdateArgs};
use crate::context::Context;
use crate::error::CliError;
use crate::output::Format;

/// Which free-form object `set` merges into.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// `attributes` (`PATCH …/attributes`).
    Attributes,
    /// `properties` (`PATCH …/properties`).
    Properties,
}

fn ids(ctx: &Context, id: &str) -> Result<(types::ObjectId, types::ObjectId), CliError> {
    Ok((
        body::object_id("project", ctx.project()?)?,
        body::object_id("lead", id)?,
    ))
}

/// Prints a lead; in table mode, after a one-line note about what happened.
fn show(ctx: &Context, note: Option<String>, lead: &Lead) -> Result<(), CliError> {
    if let (Format::Table, Some(note)) = (ctx.output.format, note) {
        eprintln!("{note}");
    }
    ctx.output.lead(lead)
}

/// `leads get ID`.
pub async fn get(ctx: &Context, args: &IdArg) -> Result<(), CliError> {
    let (project, id) = ids(ctx, &args.id)?;
    let lead = ctx
        .client
        .get_lead()
        .project_id(project)
        .id(id)
        .send()
        .await?
        .into_inner();
    show(ctx, None, &lead)
}

/// `leads create …`.
pub async fn create(ctx: &Context, args: &CreateArgs) -> Result<(), CliError> {
    let project = body::object_id("project", ctx.project()?)?;
    let request = body::create(args.lead_id.as_deref(), &args.fields, &args.properties)?;
    let lead = ctx
        .client
        .create_lead()
        .project_id(project)
        .body(request)
        .send()
        .await?
        .into_inner();
    show(ctx, Some(format!("created {}", &*lead.id)), &lead)
}

/// `leads update ID …`.
pub async fn update(ctx: &Context, args: &UpdateArgs) -> Result<(), CliError> {
    let (project, id) = ids(ctx, &args.id)?;
    let request = body::update(&args.fields, args.status, &args.clear)?;
    let lead = send_update(ctx, project, id, request).await?;
    show(ctx, Some(format!("updated {}", &*lead.id)), &lead)
}

async fn send_update(
    ctx: &Context,
    project: types::ObjectId,
    id: types::ObjectId,
    request: LeadUpdate,
) -> Result<Lead, CliError> {
    Ok(ctx
        .client
        .update_lead()
        .project_id(project)
        .id(id)
        .body(request)
        .send()
        .await?
        .into_inner())
}

/// `leads delete ID [--physical]`.
pub async fn delete(ctx: &Context, args: &DeleteArgs) -> Result<(), CliError> {
    let (project, id) = ids(ctx, &args.id)?;
    let (lead, note) = if args.physical {
        let lead = ctx
            .client
            .delete_lead_physically()
            .project_id(project)
            .id(id)
            .send()
            .await?
            .into_inner();
        let note = format!("removed {} for good; this was the lead:", &*lead.id);
        (lead, note)
    } else {
        let lead = ctx
            .client
            .delete_lead()
            .project_id(project)
            .id(id)
            .send()
            .await?
            .into_inner();
        let note = format!(
            "deleted {id} (status 1000); `leads restore {id}` brings it back",
            id = &*lead.id
        );
        (lead, note)
    };
    show(ctx, Some(note), &lead)
}

/// `leads restore ID`: status back to 100.
pub async fn restore(ctx: &Context, args: &IdArg) -> Result<(), CliError> {
    let (project, id) = ids(ctx, &args.id)?;
    let request = body::update(
        &crate::cli::LeadFields::default(),
        Some(crate::cli::Status::Normal),
        &[],
    )?;
    let lead = send_update(ctx, project, id, request).await?;
    show(ctx, Some(format!("restored {}", &*lead.id)), &lead)
}

/// `leads tag add|rm`.
pub async fn tag(ctx: &Context, command: &TagCommand) -> Result<(), CliError> {
    let lead = match command {
        TagCommand::Add { id, tags } => {
            let (project, id) = ids(ctx, id)?;
            let tags = tags
                .iter()
                .map(|tag| {
                    types::Tag::try_from(tag.as_str())
                        .map_err(|e| CliError::Usage(format!("tag {tag:?}: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            ctx.client
                .add_lead_tags()
                .project_id(project)
                .id(id)
                .body(types::TagList(tags))
                .send()
                .await?
                .into_inner()
        }
        TagCommand::Rm { id, tag } => {
            let (project, id) = ids(ctx, id)?;
            let tag = types::Tag::try_from(tag.as_str())
                .map_err(|e| CliError::Usage(format!("tag {tag:?}: {e}")))?;
            ctx.client
                .remove_lead_tag()
                .project_id(project)
                .id(id)
                .tag(tag)
                .send()
                .await?
                .into_inner()
        }
    };
    show(
        ctx,
        Some(format!(
            "{} now has the tags [{}]",
            &*lead.id,
            lead.tags.join(", ")
        )),
        &lead,
    )
}

/// `leads attributes set` and `leads properties set`: a shallow merge.
pub async fn merge(ctx: &Context, command: &MergeCommand, target: Target) -> Result<(), CliError> {
    let MergeCommand::Set { id, pairs } = command;
    let (project, id) = ids(ctx, id)?;
    let object = types::FreeForm(body::pairs(pairs)?);
    let lead = match target {
        Target::Attributes => ctx
            .client
            .merge_lead_attributes()
            .project_id(project)
            .id(id)
            .body(object)
            .send()
            .await?
            .into_inner(),
        Target::Properties => ctx
            .client
            .merge_lead_properties()
            .project_id(project)
            .id(id)
            .body(object)
            .send()
            .await?
            .into_inner(),
    };
    show(ctx, Some(format!("updated {}", &*lead.id)), &lead)
}
