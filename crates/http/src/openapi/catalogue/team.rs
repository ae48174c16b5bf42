//! The team settings: members and their roles.

use super::{Answer, Operation, Request};
use crate::{
    openapi::schemas::{dto, page_of, parses},
    routes::api::members::{AddMemberRequest, ChangeMemberRequest, MemberResponse},
};

const MEMBER: &str = r#"{"subject": "9b2c4e1a-6f3d-4c2b-8a7e-1d5f0c3b2a19", "role": "billing",
    "customer": null}"#;

const ADDED_BY_EMAIL: &str = r#"{"subject": "9b2c4e1a-6f3d-4c2b-8a7e-1d5f0c3b2a19",
    "role": "billing", "customer": null, "email": "ada@example.com"}"#;

fn operation(
    method: &'static str,
    path: &'static str,
    id: &'static str,
    summary: &'static str,
    answer: Answer,
) -> Operation {
    Operation {
        method,
        path,
        id,
        tag: "settings",
        summary,
        query: None,
        paged: false,
        request: None,
        answer,
    }
}

pub fn operations() -> Vec<Operation> {
    vec![
        Operation {
            paged: true,
            ..operation(
                "GET",
                "/api/settings/members",
                "listMembers",
                "The organization's members with their roles, by subject (from Keto when \
                 it decides access), each with its e-mail when Kratos's admin API knows it",
                Answer::Json {
                    status: 200,
                    schema: page_of::<MemberResponse>,
                    example: r#"{"data": [{"subject": "olivia", "role": "owner",
                        "customer": null}, {"subject": "9b2c4e1a-6f3d-4c2b-8a7e-1d5f0c3b2a19",
                        "role": "billing", "customer": null, "email": "ada@example.com"}],
                        "next_cursor": null}"#,
                },
            )
        },
        Operation {
            request: Some(Request {
                schema: dto::<AddMemberRequest>,
                example: r#"{"email": "ada@example.com", "role": "billing"}"#,
                parses: parses::<AddMemberRequest>,
            }),
            ..operation(
                "POST",
                "/api/settings/members",
                "addMember",
                "Makes someone a member, named by subject or by the e-mail they sign in with \
                 (looked up in Kratos; 422 `unknown_identity` when nobody has it); 409 \
                 `membership_exists` when they are one; only an owner grants owner; audited",
                Answer::Json {
                    status: 201,
                    schema: dto::<MemberResponse>,
                    example: ADDED_BY_EMAIL,
                },
            )
        },
        Operation {
            request: Some(Request {
                schema: dto::<ChangeMemberRequest>,
                example: r#"{"role": "viewer"}"#,
                parses: parses::<ChangeMemberRequest>,
            }),
            ..operation(
                "PATCH",
                "/api/settings/members/{subject}",
                "changeMember",
                "Changes a member's role (only an owner touches owners; the last owner \
                 stays: 409 `last_owner`), audited",
                Answer::Json {
                    status: 200,
                    schema: dto::<MemberResponse>,
                    example: MEMBER,
                },
            )
        },
        operation(
            "DELETE",
            "/api/settings/members/{subject}",
            "removeMember",
            "Removes a member (only an owner removes an owner; the last owner stays: 409 \
             `last_owner`), audited",
            Answer::Empty { status: 204 },
        ),
    ]
}
