//! The lists the bench measures at the largest size: every filter alone, the combinations
//! a client is likely to send, and every sort field in both directions. Each must cost at
//! most a few times the unfiltered first page of a small project.

use leads_client::builder::ListLeads;
use leads_client::types::{Direction, LeadStatus, SortField, Tag};

/// What a case aims at: values that exist in the seeded project.
pub struct Aim {
    /// The email of one seeded lead.
    pub email: String,
    /// A tag one seeded lead in a hundred carries.
    pub tag: Tag,
}

/// One list request of the bench.
pub struct ListCase {
    pub scenario: &'static str,
    /// Adds the case's parameters to a request of the first page.
    pub apply: for<'a> fn(ListLeads<'a>, &Aim) -> ListLeads<'a>,
    /// Whether the seeded project holds leads that match: an empty page of such a case
    /// is a failed request.
    pub matches: bool,
}

fn sorted<'a>(b: ListLeads<'a>, field: SortField, direction: i32) -> ListLeads<'a> {
    let direction = Direction::try_from(direction).unwrap_or_else(|_| unreachable!("±1"));
    b.sort(field).direction(direction)
}

/// Every list case, in the order they run.
pub fn all() -> Vec<ListCase> {
    let case = |scenario, apply, matches| ListCase {
        scenario,
        apply,
        matches,
    };
    vec![
        case("list by email", |b, aim| b.email(aim.email.as_str()), true),
        case("list by full_text", |b, _| b.full_text("Rossi"), true),
        case("list by tags", |b, aim| b.tags(vec![aim.tag.clone()]), true),
        case("list with_email=true", |b, _| b.with_email(true), true),
        case("list with_email=false", |b, _| b.with_email(false), false),
        case(
            "list with_fullname=true",
            |b, _| b.with_fullname(true),
            true,
        ),
        case(
            "list with_fullname=false",
            |b, _| b.with_fullname(false),
            false,
        ),
        case(
            "list status=50",
            |b, _| b.status(LeadStatus::try_from(50).unwrap_or_else(|_| unreachable!("50"))),
            false,
        ),
        case(
            "list by tags + full_text",
            |b, aim| b.tags(vec![aim.tag.clone()]).full_text("Rossi"),
            true,
        ),
        case(
            "list by tags + with_email=true",
            |b, aim| b.tags(vec![aim.tag.clone()]).with_email(true),
            true,
        ),
        case(
            "list by full_text + with_fullname=true",
            |b, _| b.full_text("Rossi").with_fullname(true),
            true,
        ),
        case(
            "list with_email=true + with_fullname=true",
            |b, _| b.with_email(true).with_fullname(true),
            true,
        ),
        case(
            "list sorted by fullname ascending",
            |b, _| sorted(b, SortField::Fullname, 1),
            true,
        ),
        case(
            "list sorted by email descending",
            |b, _| sorted(b, SortField::Email, -1),
            true,
        ),
        case(
            "list sorted by lead_id ascending",
            |b, _| sorted(b, SortField::LeadId, 1),
            true,
        ),
        case(
            "list sorted by updatedAt descending",
            |b, _| sorted(b, SortField::UpdatedAt, -1),
            true,
        ),
        case(
            "list by full_text sorted by fullname",
            |b, _| sorted(b.full_text("Rossi"), SortField::Fullname, 1),
            true,
        ),
        case(
            "list by tags sorted by email",
            |b, aim| sorted(b.tags(vec![aim.tag.clone()]), SortField::Email, 1),
            true,
        ),
    ]
}
