//! The global policies phiguard ships: the default roles, break-glass and the tenant wall.
//!
//! The policy text lives in `cedar/defaults.cedar`; its tests below state, as explicit tables,
//! what every default role may do for every purpose.

/// The global policies phiguard ships, in Cedar syntax. Each carries `@id("...")`; phiguard
/// names it `global/<id>`.
pub const DEFAULT_POLICIES: &str = include_str!("../cedar/defaults.cedar");

/// The tenant whose platform operators may create tenants and manage the actors of any tenant.
/// The `platform_operator` role grants nothing in any other tenant.
pub const PLATFORM_TENANT: &str = "platform";

#[cfg(test)]
mod tests {
    use phiguard_core::{ActorKind, Decision, Disclosures, Outcome, PurposeOfUse, Role};

    use phiguard_core::TenantId;

    use super::PLATFORM_TENANT;
    use crate::Action;
    use crate::testing::{World, actor_in, decide, levels, natural_kind, tenant_policies};

    const OPEN_DOOR: &str = r#"@clear("*") permit (principal, action, resource);"#;

    /// What each default role sees of an unrestricted record, per purpose, without break-glass:
    /// `C` clear, `M` masked, `W` withheld, one letter per category in `Category::ALL` order
    /// (I identifier, N name, C contact, A address, B birthdate, D demographic, L clinical,
    /// F financial, T free_text). Every (role, purpose) not listed is denied.
    #[rustfmt::skip]
    const READ_MATRIX: &[(&str, &str, &str)] = &[
        //                           INCABDLFT
        ("clinician",   "TREAT",    "CCCCCCCWC"),
        ("clinician",   "CAREMGT",  "CCCCCCCWC"),
        ("pharmacist",  "TREAT",    "CCCMCCCWC"),
        ("pharmacist",  "CAREMGT",  "CCCMCCCWC"),
        ("fulfillment", "HOPERAT",  "WCCCWWWWW"),
        ("billing",     "HPAYMT",   "CMWWMWWCW"),
        ("support",     "HOPERAT",  "MMMMMWWWW"),
        ("support",     "PATRQT",   "MMMMMWWWW"),
        ("storefront",  "HOPERAT",  "WMMMWWWWW"),
        ("storefront",  "PATRQT",   "WMMMWWWWW"),
        ("analytics",   "HOPERAT",  "WWWWMCWWW"),
        ("analytics",   "HQUALIMP", "WWWWMCWWW"),
        ("analytics",   "HRESCH",   "WWWWMCWWW"),
    ];

    /// The purposes for which each default role, held by an actor of an ordinary tenant, may
    /// take each non-PHI action on its own tenant, without break-glass. Every (role, action) not
    /// listed is denied for every purpose; in particular `platform_operator` grants nothing
    /// outside the platform tenant (see the operator tests).
    #[rustfmt::skip]
    const ACTION_MATRIX: &[(&str, Action, &[&str])] = &[
        ("clinician",    Action::Search,            &["TREAT", "CAREMGT"]),
        ("clinician",    Action::CreateRecord,      &["TREAT", "CAREMGT"]),
        ("pharmacist",   Action::Search,            &["TREAT", "CAREMGT"]),
        ("pharmacist",   Action::CreateRecord,      &["TREAT", "CAREMGT"]),
        ("fulfillment",  Action::Search,            &["HOPERAT"]),
        ("billing",      Action::Search,            &["HPAYMT"]),
        ("support",      Action::Search,            &["HOPERAT", "PATRQT"]),
        ("storefront",   Action::Search,            &["HOPERAT", "PATRQT"]),
        ("storefront",   Action::CreateRecord,      &["HOPERAT", "PATRQT"]),
        ("tenant_admin", Action::CreateRecord,      &["HSYSADMIN", "HOPERAT"]),
        ("tenant_admin", Action::DisposeSubject,    &["HSYSADMIN", "HOPERAT"]),
        ("tenant_admin", Action::RestrictSubject,   &["HSYSADMIN", "HOPERAT"]),
        ("tenant_admin", Action::ManageActors,      &["HSYSADMIN", "HOPERAT"]),
        ("tenant_admin", Action::ManagePolicies,    &["HSYSADMIN", "HOPERAT"]),
        ("tenant_admin", Action::ManageRecordTypes, &["HSYSADMIN", "HOPERAT"]),
        ("tenant_admin", Action::RotateKeys,        &["HSYSADMIN", "HOPERAT"]),
        ("tenant_admin", Action::ReadAudit,         &["HSYSADMIN", "HOPERAT", "HCOMPL"]),
        ("tenant_admin", Action::ReadConfiguration, &["HSYSADMIN", "HOPERAT", "HCOMPL"]),
    ];

    fn purpose(code: &str) -> PurposeOfUse {
        code.parse().unwrap()
    }

    #[test]
    fn the_tables_name_only_default_roles_and_known_purposes() {
        for (role, code, _) in READ_MATRIX {
            assert!(Role::DEFAULTS.contains(role), "{role}");
            let _ = purpose(code);
        }
        for (role, action, codes) in ACTION_MATRIX {
            assert!(Role::DEFAULTS.contains(role), "{role}");
            assert!(!action.discloses_phi(), "{action}");
            for code in *codes {
                let _ = purpose(code);
            }
        }
    }

    #[test]
    fn every_default_role_purpose_and_category_reads_as_the_matrix_says() {
        let world = World::new();
        let policies = world.policies(&[]);

        for role in Role::DEFAULTS {
            let actor = world.actor(&[role], natural_kind(role));
            for &purpose in PurposeOfUse::ALL {
                let expected = READ_MATRIX
                    .iter()
                    .find(|(r, p, _)| *r == role && *p == purpose.code())
                    .map(|(_, _, code)| levels(code));

                for action in [Action::ReadRecord, Action::ListRecords] {
                    let resource = world.resource(action, &world.home, false);
                    let decision = decide(&policies, &actor, action, resource, purpose, false);
                    let case = format!("{role} {action} {purpose}");
                    match expected {
                        Some(levels) => {
                            assert_eq!(decision.decision, Decision::Allow, "{case}");
                            assert_eq!(decision.outcome, Outcome::Success, "{case}");
                            assert_eq!(decision.disclosures, levels, "{case}");
                        }
                        None => {
                            assert_eq!(decision.decision, Decision::Deny, "{case}");
                            assert_eq!(decision.outcome, Outcome::Denied, "{case}");
                            assert_eq!(decision.disclosures, Disclosures::withhold_all(), "{case}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_default_role_takes_non_phi_actions_as_the_table_says() {
        let world = World::new();
        let policies = world.policies(&[]);

        for role in Role::DEFAULTS {
            let actor = world.actor(&[role], natural_kind(role));
            for action in Action::ALL.into_iter().filter(|a| !a.discloses_phi()) {
                let allowed: &[&str] = ACTION_MATRIX
                    .iter()
                    .find(|(r, a, _)| *r == role && *a == action)
                    .map_or(&[], |(_, _, codes)| codes);
                for &purpose in PurposeOfUse::ALL {
                    let resource = world.resource(action, &world.home, false);
                    let decision = decide(&policies, &actor, action, resource, purpose, false);
                    let expected = if allowed.contains(&purpose.code()) {
                        Decision::Allow
                    } else {
                        Decision::Deny
                    };
                    assert_eq!(decision.decision, expected, "{role} {action} {purpose}");
                    assert_eq!(decision.disclosures, Disclosures::withhold_all());
                }
            }
        }
    }

    #[test]
    fn audit_reads_are_decided_alike_for_a_tenant_and_for_one_subject() {
        let world = World::new();
        let policies = world.policies(&[]);
        let subject = crate::Resource::Subject {
            tenant: &world.home,
            subject: &world.subject,
            restricted: true,
        };

        for role in Role::DEFAULTS {
            let actor = world.actor(&[role], natural_kind(role));
            for &purpose in PurposeOfUse::ALL {
                let on_tenant = crate::Resource::Tenant(&world.home);
                let a = decide(
                    &policies,
                    &actor,
                    Action::ReadAudit,
                    on_tenant,
                    purpose,
                    false,
                );
                let b = decide(
                    &policies,
                    &actor,
                    Action::ReadAudit,
                    subject,
                    purpose,
                    false,
                );
                assert_eq!(a.decision, b.decision, "{role} {purpose}");
            }
        }
    }

    #[test]
    fn service_roles_need_service_actors_and_clinical_roles_need_people() {
        let world = World::new();
        let policies = world.policies(&[]);
        let read = world.resource(Action::ReadRecord, &world.home, false);

        for (role, purpose, wrong_kinds) in [
            (
                "storefront",
                PurposeOfUse::Hoperat,
                [ActorKind::User, ActorKind::System],
            ),
            (
                "analytics",
                PurposeOfUse::Hresch,
                [ActorKind::User, ActorKind::System],
            ),
            (
                "clinician",
                PurposeOfUse::Treat,
                [ActorKind::Service, ActorKind::System],
            ),
            (
                "pharmacist",
                PurposeOfUse::Treat,
                [ActorKind::Service, ActorKind::System],
            ),
        ] {
            for kind in wrong_kinds {
                let actor = world.actor(&[role], kind);
                let decision = decide(&policies, &actor, Action::ReadRecord, read, purpose, false);
                assert_eq!(decision.decision, Decision::Deny, "{role} as {kind}");
            }
        }
    }

    #[test]
    fn roles_combine_by_taking_the_most_revealing_grant() {
        let world = World::new();
        let policies = world.policies(&[]);
        let read = world.resource(Action::ReadRecord, &world.home, false);

        // Fulfillment grants name, contact and address clear; support masks identifier and
        // birthdate as well. Together: identifier and birthdate masked, the rest of support's
        // grant raised to clear.
        let actor = world.actor(&["fulfillment", "support"], ActorKind::User);
        let decision = decide(
            &policies,
            &actor,
            Action::ReadRecord,
            read,
            PurposeOfUse::Hoperat,
            false,
        );
        assert_eq!(decision.disclosures, levels("MCCCMWWWW"));
        assert_eq!(
            decision.policies,
            ["global/fulfillment-operations", "global/support-masked"]
        );
    }

    #[test]
    fn break_glass_opens_restricted_subjects_to_treating_people_only() {
        let world = World::new();
        let policies = world.policies(&[]);
        let restricted = world.resource(Action::ReadRecord, &world.home, true);
        let open = world.resource(Action::ReadRecord, &world.home, false);
        let treatment = levels("CCCCCCCWC");

        for role in ["clinician", "pharmacist"] {
            let actor = world.actor(&[role], ActorKind::User);
            let read = |resource, purpose, break_glass| {
                decide(
                    &policies,
                    &actor,
                    Action::ReadRecord,
                    resource,
                    purpose,
                    break_glass,
                )
            };

            let ordinary = read(restricted, PurposeOfUse::Treat, false);
            assert_eq!(
                ordinary.decision,
                Decision::Deny,
                "{role} TREAT on restricted"
            );
            assert_eq!(ordinary.disclosures, Disclosures::withhold_all());
            assert_eq!(
                read(restricted, PurposeOfUse::Treat, true).decision,
                Decision::Deny
            );
            assert_eq!(
                read(restricted, PurposeOfUse::Etreat, false).decision,
                Decision::Deny
            );

            for resource in [restricted, open] {
                let emergency = read(resource, PurposeOfUse::Etreat, true);
                assert_eq!(
                    emergency.decision,
                    Decision::Allow,
                    "{role} ETREAT with grant"
                );
                assert_eq!(
                    emergency.disclosures, treatment,
                    "{role}: address clear too"
                );
                assert_eq!(emergency.policies, ["global/break-glass-treatment"]);
            }

            let listing = world.resource(Action::ListRecords, &world.home, true);
            let listed = decide(
                &policies,
                &actor,
                Action::ListRecords,
                listing,
                PurposeOfUse::Etreat,
                true,
            );
            assert_eq!(listed.disclosures, treatment);

            for action in [Action::Search, Action::CreateRecord] {
                let resource = world.resource(action, &world.home, true);
                let allowed = decide(
                    &policies,
                    &actor,
                    action,
                    resource,
                    PurposeOfUse::Etreat,
                    true,
                );
                assert!(allowed.is_allowed(), "{role} {action} under break-glass");
                let refused = decide(
                    &policies,
                    &actor,
                    action,
                    resource,
                    PurposeOfUse::Etreat,
                    false,
                );
                assert!(
                    !refused.is_allowed(),
                    "{role} {action} ETREAT without grant"
                );
            }
        }

        for role in Role::DEFAULTS
            .into_iter()
            .filter(|r| !["clinician", "pharmacist"].contains(r))
        {
            let actor = world.actor(&[role], natural_kind(role));
            for &purpose in PurposeOfUse::ALL {
                for break_glass in [false, true] {
                    let decision = decide(
                        &policies,
                        &actor,
                        Action::ReadRecord,
                        restricted,
                        purpose,
                        break_glass,
                    );
                    assert_eq!(
                        decision.decision,
                        Decision::Deny,
                        "{role} {purpose} restricted"
                    );
                }
            }
        }
    }

    #[test]
    fn the_tenant_wall_holds_for_every_action_role_purpose_and_resource() {
        let world = World::new();
        let open_door = OPEN_DOOR;
        let tenant_door = r#"permit (principal, action, resource)
            when { resource == Phiguard::Tenant::"southgate" };"#;
        let record_door = r#"@clear("*") permit (principal, action, resource is Phiguard::Record)
            when { resource.tenant == Phiguard::Tenant::"southgate" };"#;
        let subject_door = r#"@clear("*") permit (principal, action, resource is Phiguard::Subject)
            when { resource.tenant == Phiguard::Tenant::"southgate" };"#;
        let sets = [
            world.policies(&[]),
            world.policies(&[
                ("open-door", open_door),
                ("tenant-door", tenant_door),
                ("record-door", record_door),
                ("subject-door", subject_door),
            ]),
        ];
        let all_roles: Vec<&str> = Role::DEFAULTS.to_vec();
        let mut principals: Vec<_> = Role::DEFAULTS
            .iter()
            .flat_map(|role| {
                [ActorKind::User, ActorKind::Service, ActorKind::System]
                    .map(|kind| world.actor(&[role], kind))
            })
            .collect();
        principals.push(world.actor(&all_roles, ActorKind::User));
        principals.push(world.actor(&["nurse"], ActorKind::User));

        for policies in &sets {
            for actor in &principals {
                for action in Action::ALL {
                    for restricted in [false, true] {
                        let away = world.resource(action, &world.away, restricted);
                        for &purpose in PurposeOfUse::ALL {
                            for break_glass in [false, true] {
                                let decision =
                                    decide(policies, actor, action, away, purpose, break_glass);
                                let case = format!(
                                    "{:?} {:?} {action} {purpose} bg={break_glass}",
                                    actor.roles(),
                                    actor.kind()
                                );
                                assert_eq!(decision.decision, Decision::Deny, "{case}");
                                assert_eq!(decision.disclosures, Disclosures::withhold_all());
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_tenant_permit_for_the_neighbours_record_names_the_wall_when_denied() {
        let world = World::new();
        let policies = world.policies(&[(
            "steal",
            r#"@clear("*") permit (principal, action == Phiguard::Action::"read_record", resource)
               when { resource.tenant == Phiguard::Tenant::"southgate" };"#,
        )]);
        let actor = world.actor(&["clinician"], ActorKind::User);
        let away = world.record(&world.away, false);

        let decision = decide(
            &policies,
            &actor,
            Action::ReadRecord,
            away,
            PurposeOfUse::Treat,
            false,
        );
        assert_eq!(decision.decision, Decision::Deny);
        assert_eq!(decision.outcome, Outcome::Denied);
        assert_eq!(decision.policies, ["global/tenant-wall"]);
    }

    #[test]
    fn platform_operators_bootstrap_any_tenant_and_do_nothing_else() {
        let world = World::new();
        let platform: TenantId = PLATFORM_TENANT.parse().unwrap();
        let open_door = tenant_policies(&[("open-door", OPEN_DOOR)]);
        let operator = actor_in(
            &platform,
            &["platform_operator", "clinician"],
            ActorKind::User,
            &[],
        );

        for (policies, door_open) in [
            (world.engine.compile_tenant(&platform, &[]).unwrap(), false),
            (
                world.engine.compile_tenant(&platform, &open_door).unwrap(),
                true,
            ),
        ] {
            for tenant in [&platform, &world.home, &world.away] {
                for action in Action::ALL {
                    for &purpose in PurposeOfUse::ALL {
                        let resource = world.resource(action, tenant, false);
                        let decision =
                            decide(&policies, &operator, action, resource, purpose, false);
                        let expected =
                            matches!(action, Action::CreateTenant | Action::ManageActors)
                                && (door_open
                                    || ["HSYSADMIN", "HOPERAT"].contains(&purpose.code()));
                        assert_eq!(
                            decision.is_allowed(),
                            expected,
                            "{tenant} {action} {purpose}"
                        );
                        assert_eq!(decision.disclosures, Disclosures::withhold_all());
                    }
                }
            }
        }
    }

    #[test]
    fn the_operator_role_grants_nothing_outside_the_platform_tenant() {
        let world = World::new();
        let pretender = world.actor(&["platform_operator"], ActorKind::User);

        for (policies, door_open) in [
            (world.policies(&[]), false),
            (world.policies(&[("open-door", OPEN_DOOR)]), true),
        ] {
            for tenant in [&world.home, &world.away] {
                for action in Action::ALL {
                    let resource = world.resource(action, tenant, false);
                    let purpose = PurposeOfUse::Hsysadmin;
                    let decision = decide(&policies, &pretender, action, resource, purpose, false);
                    // Only the tenant's own open door lets it manage the tenant's own actors.
                    let expected =
                        door_open && action == Action::ManageActors && *tenant == world.home;
                    assert_eq!(decision.is_allowed(), expected, "{tenant} {action}");
                }
            }

            let own = crate::Resource::Tenant(&world.home);
            let create = decide(
                &policies,
                &pretender,
                Action::CreateTenant,
                own,
                PurposeOfUse::Hsysadmin,
                false,
            );
            assert!(
                create
                    .policies
                    .contains(&"global/only-operators-create-tenants".to_owned())
            );
        }
    }

    #[test]
    fn a_principal_of_another_tenant_is_refused_by_these_policies() {
        let world = World::new();
        let policies = world.policies(&[]);
        let stranger = actor_in(&world.away, &["clinician"], ActorKind::User, &[]);
        let their_record = world.record(&world.away, false);

        let decision = decide(
            &policies,
            &stranger,
            Action::ReadRecord,
            their_record,
            PurposeOfUse::Treat,
            false,
        );
        assert_eq!(decision.decision, Decision::Deny);
        assert_eq!(decision.outcome, Outcome::Failed);
        assert!(decision.errors[0].contains("decide with the requesting tenant's policies"));
    }

    #[test]
    fn every_global_policy_has_a_namespaced_readable_id() {
        let ids = World::new().engine.global_policy_ids();
        assert!(ids.len() >= 20, "{ids:?}");
        for id in ids {
            let name = id.strip_prefix("global/").unwrap();
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{id}"
            );
        }
    }
}
