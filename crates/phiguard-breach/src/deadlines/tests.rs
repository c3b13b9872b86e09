use super::*;
use jiff::civil::{Weekday, date};
use proptest::prelude::*;

fn code(text: &str) -> Jurisdiction {
    text.parse().unwrap()
}

fn table() -> StateTable {
    StateTable::shipped().unwrap()
}

fn facts(discovered: Date, counts: &[(&str, u64)]) -> DeadlineFacts {
    DeadlineFacts {
        discovered,
        affected: Affected {
            by_jurisdiction: counts.iter().map(|(state, n)| (code(state), *n)).collect(),
            unknown_jurisdiction: 0,
        },
        role: PlatformRole::CoveredEntity,
        law_enforcement_delay: None,
        licensed_health_facility: Answer::No,
        individuals_notified_on: None,
    }
}

fn schedule(facts: &DeadlineFacts) -> Schedule {
    deadlines(facts, &table()).unwrap()
}

fn find<'a>(schedule: &'a Schedule, recipient: &Recipient) -> Vec<&'a Deadline> {
    schedule
        .deadlines
        .iter()
        .filter(|deadline| &deadline.recipient == recipient)
        .collect()
}

fn one<'a>(schedule: &'a Schedule, recipient: &Recipient) -> &'a Deadline {
    let found = find(schedule, recipient);
    assert_eq!(found.len(), 1, "{recipient:?}");
    found[0]
}

fn hhs(schedule: &Schedule, basis: &str) -> Deadline {
    find(schedule, &Recipient::Hhs)
        .into_iter()
        .find(|deadline| deadline.basis.starts_with(basis))
        .unwrap()
        .clone()
}

fn state_individuals(rule: &str, state: &str) -> Recipient {
    Recipient::StateIndividuals {
        rule: rule.to_owned(),
        jurisdiction: code(state),
    }
}

fn state_regulator<'a>(schedule: &'a Schedule, rule: &str) -> &'a Deadline {
    schedule
        .deadlines
        .iter()
        .find(|deadline| {
            matches!(&deadline.recipient, Recipient::StateRegulator { rule: r, .. } if r == rule)
        })
        .unwrap()
}

fn media(state: &str) -> Recipient {
    Recipient::Media {
        jurisdiction: Some(code(state)),
    }
}

#[test]
fn sixty_days_after_new_year_is_the_second_of_march() {
    let s = schedule(&facts(date(2026, 1, 1), &[("NJ", 10)]));
    let individuals = one(&s, &Recipient::Individuals);
    assert_eq!(individuals.due, Some(date(2026, 3, 2)));
    assert_eq!(individuals.applies, Applicability::Applies);
    assert_eq!(individuals.confidence, Confidence::Sourced);
    assert_eq!(individuals.basis, "45 CFR 164.404(b)");
    assert!(s.notes[0].contains("Day 0"));
}

#[test]
fn hhs_at_499_500_and_501() {
    let discovered = date(2026, 4, 10);
    for (count, immediate) in [(499, false), (500, true), (501, true)] {
        let s = schedule(&facts(discovered, &[("NJ", count)]));
        let now = hhs(&s, "45 CFR 164.408(b)");
        let annual = hhs(&s, "45 CFR 164.408(c)");
        assert_eq!(now.due, Some(date(2026, 6, 9)));
        assert_eq!(annual.due, Some(date(2027, 3, 1)));
        if immediate {
            assert_eq!(now.applies, Applicability::Applies, "{count}");
            assert_eq!(annual.applies, Applicability::DoesNotApply, "{count}");
            assert!(
                now.reasoning
                    .starts_with(&format!("{count} individuals affected >= 500"))
            );
        } else {
            assert_eq!(now.applies, Applicability::DoesNotApply, "{count}");
            assert_eq!(annual.applies, Applicability::Applies, "{count}");
            assert!(
                annual
                    .reasoning
                    .starts_with("499 individuals affected < 500")
            );
        }
    }
}

#[test]
fn hhs_counts_people_whose_state_is_unknown() {
    let mut f = facts(date(2026, 4, 10), &[("NJ", 300)]);
    f.affected.unknown_jurisdiction = 200;
    let s = schedule(&f);
    assert_eq!(s.total_affected, 500);
    assert_eq!(hhs(&s, "45 CFR 164.408(b)").applies, Applicability::Applies);
}

#[test]
fn media_only_for_more_than_500_in_one_state() {
    let discovered = date(2026, 4, 10);

    let spread = schedule(&facts(discovered, &[("NJ", 250), ("PA", 250)]));
    assert!(
        spread
            .binding()
            .all(|d| !matches!(d.recipient, Recipient::Media { .. }))
    );

    let exactly = schedule(&facts(discovered, &[("NJ", 500)]));
    let nj = one(&exactly, &media("NJ"));
    assert_eq!(nj.applies, Applicability::DoesNotApply);
    assert_eq!(nj.reasoning, "500 residents of NJ, not > 500.");

    let one_state = schedule(&facts(discovered, &[("TX", 501)]));
    let tx = one(&one_state, &media("TX"));
    assert_eq!(tx.applies, Applicability::Applies);
    assert!(
        tx.reasoning.starts_with("501 residents of TX > 500"),
        "{}",
        tx.reasoning
    );
    assert_eq!(tx.due, Some(date(2026, 6, 9)));
    assert_eq!(tx.basis, "45 CFR 164.406");

    let split = schedule(&facts(discovered, &[("NJ", 251), ("PA", 250)]));
    assert!(
        split
            .binding()
            .all(|d| !matches!(d.recipient, Recipient::Media { .. }))
    );
    assert_eq!(
        hhs(&split, "45 CFR 164.408(b)").applies,
        Applicability::Applies
    );
}

#[test]
fn media_is_undetermined_while_states_are_unknown() {
    let mut f = facts(date(2026, 4, 10), &[("NJ", 400)]);
    f.affected.unknown_jurisdiction = 101;
    let s = schedule(&f);
    let unknown = one(&s, &Recipient::Media { jurisdiction: None });
    assert_eq!(unknown.applies, Applicability::Undetermined);

    // 100 more cannot lift anyone past 500.
    f.affected.unknown_jurisdiction = 100;
    let s = schedule(&f);
    assert!(find(&s, &Recipient::Media { jurisdiction: None }).is_empty());
}

#[test]
fn discovered_on_new_years_eve() {
    let s = schedule(&facts(date(2026, 12, 31), &[("NJ", 20)]));
    assert_eq!(one(&s, &Recipient::Individuals).due, Some(date(2027, 3, 1)));

    // The annual report is for 2026, the year of discovery: due 60 days after 2026-12-31,
    // not after the end of 2027.
    let annual = hhs(&s, "45 CFR 164.408(c)");
    assert_eq!(annual.due, Some(date(2027, 3, 1)));
    assert!(annual.reasoning.contains("end of 2026"));

    // Discovered on 1 January, the same report is about 14 months away.
    let s = schedule(&facts(date(2026, 1, 1), &[("NJ", 20)]));
    assert_eq!(hhs(&s, "45 CFR 164.408(c)").due, Some(date(2027, 3, 1)));
}

#[test]
fn leap_years() {
    let s = schedule(&facts(date(2027, 12, 31), &[("NJ", 20)]));
    assert_eq!(
        one(&s, &Recipient::Individuals).due,
        Some(date(2028, 2, 29))
    );
    assert_eq!(hhs(&s, "45 CFR 164.408(c)").due, Some(date(2028, 2, 29)));

    let s = schedule(&facts(date(2027, 6, 1), &[("NJ", 20)]));
    assert_eq!(hhs(&s, "45 CFR 164.408(c)").due, Some(date(2028, 2, 29)));

    let s = schedule(&facts(date(2026, 6, 1), &[("NJ", 20)]));
    assert_eq!(hhs(&s, "45 CFR 164.408(c)").due, Some(date(2027, 3, 1)));
}

#[test]
fn business_days_across_a_weekend() {
    // Friday 2026-01-02: 15 business days skip three weekends and land on Friday the 23rd;
    // 15 calendar days would be the 17th, a Saturday.
    let friday = date(2026, 1, 2);
    assert_eq!(friday.weekday(), Weekday::Friday);
    let mut f = facts(friday, &[("CA", 3)]);
    f.licensed_health_facility = Answer::Yes;
    let s = schedule(&f);

    let facility = one(&s, &state_individuals("ca-health-facility", "CA"));
    assert_eq!(facility.due, Some(date(2026, 1, 23)));
    assert_eq!(facility.applies, Applicability::Applies);
    assert_eq!(facility.confidence, Confidence::Secondary);
    assert!(facility.reasoning.contains("15 business days"));

    let cdph = state_regulator(&s, "ca-health-facility");
    assert_eq!(cdph.due, Some(date(2026, 1, 23)));
    assert_eq!(cdph.applies, Applicability::Applies);
    assert!(s.notes.iter().any(|note| note.contains("holidays")));

    // The general California rule: 30 calendar days from 1 January 2026.
    let california = one(&s, &state_individuals("ca", "CA"));
    assert_eq!(california.due, Some(date(2026, 2, 1)));
    assert_eq!(california.confidence, Confidence::Sourced);
    assert!(
        california
            .reasoning
            .contains("HIPAA-compliant notice satisfies it: unknown")
    );
}

#[test]
fn the_facility_rule_needs_to_know_the_entity() {
    let mut f = facts(date(2026, 3, 2), &[("CA", 3)]);
    f.licensed_health_facility = Answer::Unknown;
    let s = schedule(&f);
    let facility = one(&s, &state_individuals("ca-health-facility", "CA"));
    assert_eq!(facility.applies, Applicability::Undetermined);

    f.licensed_health_facility = Answer::No;
    let s = schedule(&f);
    let facility = one(&s, &state_individuals("ca-health-facility", "CA"));
    assert_eq!(facility.applies, Applicability::DoesNotApply);
}

#[test]
fn rules_do_not_reach_back_before_they_took_effect() {
    let s = schedule(&facts(date(2025, 12, 31), &[("CA", 3), ("OK", 600)]));
    for (rule, state) in [("ca", "CA"), ("ok", "OK")] {
        let row = one(&s, &state_individuals(rule, state));
        assert_eq!(row.applies, Applicability::DoesNotApply, "{rule}");
        assert_eq!(
            state_regulator(&s, rule).applies,
            Applicability::DoesNotApply
        );
    }
}

#[test]
fn state_regulator_thresholds() {
    let discovered = date(2026, 5, 4);

    let s = schedule(&facts(discovered, &[("TX", 250)]));
    let texas = state_regulator(&s, "tx");
    assert_eq!(texas.applies, Applicability::Applies);
    assert_eq!(texas.due, Some(date(2026, 6, 3)));
    assert_eq!(texas.confidence, Confidence::Unverified);
    assert!(
        texas.reasoning.contains("250 residents of TX >= 250"),
        "{}",
        texas.reasoning
    );

    let s = schedule(&facts(discovered, &[("TX", 249)]));
    assert_eq!(
        state_regulator(&s, "tx").applies,
        Applicability::DoesNotApply
    );

    let s = schedule(&facts(discovered, &[("DE", 500), ("FL", 500)]));
    assert_eq!(
        state_regulator(&s, "de").applies,
        Applicability::DoesNotApply
    );
    assert_eq!(state_regulator(&s, "fl").applies, Applicability::Applies);
    assert_eq!(state_regulator(&s, "fl").due, Some(date(2026, 6, 3)));

    // No threshold recorded: any resident triggers it; no deadline recorded: no date.
    let s = schedule(&facts(discovered, &[("NY", 1)]));
    let new_york = state_regulator(&s, "ny");
    assert_eq!(new_york.applies, Applicability::Applies);
    assert_eq!(new_york.due, None);

    // Regulator not recorded: shown, undetermined, unverified.
    let s = schedule(&facts(discovered, &[("OH", 5)]));
    let ohio = state_regulator(&s, "oh");
    assert_eq!(ohio.applies, Applicability::Undetermined);
    assert_eq!(ohio.confidence, Confidence::Unverified);
    assert_eq!(
        one(&s, &state_individuals("oh", "OH")).due,
        Some(date(2026, 6, 18))
    );
}

#[test]
fn oklahoma_counts_from_the_individual_notices() {
    let discovered = date(2026, 5, 4);
    let mut f = facts(discovered, &[("OK", 500)]);
    let s = schedule(&f);
    let individuals = one(&s, &state_individuals("ok", "OK"));
    assert_eq!(individuals.due, None);
    assert!(individuals.reasoning.contains("no fixed number of days"));

    // Not yet notified: counted from the last lawful day (HIPAA's 60), 2026-07-03.
    let attorney_general = state_regulator(&s, "ok");
    assert_eq!(attorney_general.applies, Applicability::Applies);
    assert_eq!(attorney_general.due, Some(date(2026, 9, 1)));

    f.individuals_notified_on = Some(date(2026, 5, 20));
    let s = schedule(&f);
    assert_eq!(state_regulator(&s, "ok").due, Some(date(2026, 7, 19)));
}

#[test]
fn unknown_states_leave_state_rules_undetermined() {
    let mut f = facts(date(2026, 5, 4), &[("NJ", 10)]);
    f.affected.unknown_jurisdiction = 5;
    let s = schedule(&f);
    let colorado = one(&s, &state_individuals("co", "CO"));
    assert_eq!(colorado.applies, Applicability::Undetermined);
    assert!(s.notes.iter().any(|note| note.contains("no known state")));

    // Without unknowns, states nobody lives in are left out.
    let s = schedule(&facts(date(2026, 5, 4), &[("NJ", 10)]));
    assert!(
        s.deadlines
            .iter()
            .all(|d| !matches!(d.recipient, Recipient::StateIndividuals { .. }))
    );
}

#[test]
fn a_written_law_enforcement_delay_moves_federal_deadlines_to_its_end() {
    let discovered = date(2026, 1, 1);
    let mut f = facts(discovered, &[("TX", 600)]);
    f.law_enforcement_delay = Some(LawEnforcementDelay::Written {
        stated_on: date(2026, 1, 10),
        until: date(2026, 4, 15),
    });
    let s = schedule(&f);
    assert_eq!(s.delay_ends, Some(date(2026, 4, 15)));

    for recipient in [Recipient::Individuals, media("TX")] {
        let deadline = one(&s, &recipient);
        assert_eq!(deadline.due, Some(date(2026, 4, 15)));
        assert_eq!(deadline.undelayed_due, Some(date(2026, 3, 2)));
        assert_eq!(deadline.confidence, Confidence::Unverified);
        assert!(deadline.basis.contains("164.412"));
    }
    assert_eq!(hhs(&s, "45 CFR 164.408(b)").due, Some(date(2026, 4, 15)));

    // The annual report is later than the delay's end: not moved.
    let annual = hhs(&s, "45 CFR 164.408(c)");
    assert_eq!(annual.due, Some(date(2027, 3, 1)));
    assert_eq!(annual.undelayed_due, None);

    // State deadlines are not moved.
    let texas = state_regulator(&s, "tx");
    assert_eq!(texas.due, Some(date(2026, 1, 31)));
    assert!(
        texas
            .reasoning
            .contains("Not moved by the federal law-enforcement delay")
    );

    // A delay that ends before the deadline changes nothing.
    f.law_enforcement_delay = Some(LawEnforcementDelay::Written {
        stated_on: date(2026, 1, 10),
        until: date(2026, 2, 1),
    });
    let s = schedule(&f);
    assert_eq!(one(&s, &Recipient::Individuals).due, Some(date(2026, 3, 2)));
    assert_eq!(
        one(&s, &Recipient::Individuals).confidence,
        Confidence::Sourced
    );
}

#[test]
fn an_oral_delay_lasts_at_most_30_days_unless_put_in_writing() {
    let discovered = date(2026, 1, 1);
    let mut f = facts(discovered, &[("NJ", 10)]);

    // Oral on day 50 (2026-02-20): capped at 30 days, 2026-03-22, past the 60-day date.
    f.law_enforcement_delay = Some(LawEnforcementDelay::Oral {
        stated_on: date(2026, 2, 20),
        written_follow_up: None,
    });
    let s = schedule(&f);
    assert_eq!(s.delay_ends, Some(date(2026, 3, 22)));
    assert_eq!(
        one(&s, &Recipient::Individuals).due,
        Some(date(2026, 3, 22))
    );

    // Followed in writing within the 30 days: the written end governs.
    f.law_enforcement_delay = Some(LawEnforcementDelay::Oral {
        stated_on: date(2026, 2, 20),
        written_follow_up: Some(WrittenFollowUp {
            received_on: date(2026, 3, 10),
            until: date(2026, 6, 30),
        }),
    });
    let s = schedule(&f);
    assert_eq!(
        one(&s, &Recipient::Individuals).due,
        Some(date(2026, 6, 30))
    );

    // In writing only after the 30 days: not applied; the oral cap stands.
    f.law_enforcement_delay = Some(LawEnforcementDelay::Oral {
        stated_on: date(2026, 2, 20),
        written_follow_up: Some(WrittenFollowUp {
            received_on: date(2026, 3, 25),
            until: date(2026, 6, 30),
        }),
    });
    let s = schedule(&f);
    assert_eq!(
        one(&s, &Recipient::Individuals).due,
        Some(date(2026, 3, 22))
    );
    assert!(s.notes.iter().any(|note| note.contains("not applied")));
}

#[test]
fn contradictory_delay_dates_are_refused() {
    let mut f = facts(date(2026, 1, 10), &[("NJ", 10)]);
    let bad = [
        LawEnforcementDelay::Written {
            stated_on: date(2026, 1, 9),
            until: date(2026, 3, 1),
        },
        LawEnforcementDelay::Written {
            stated_on: date(2026, 1, 20),
            until: date(2026, 1, 19),
        },
        LawEnforcementDelay::Oral {
            stated_on: date(2026, 1, 20),
            written_follow_up: Some(WrittenFollowUp {
                received_on: date(2026, 1, 19),
                until: date(2026, 3, 1),
            }),
        },
    ];
    for delay in bad {
        f.law_enforcement_delay = Some(delay);
        let error = deadlines(&f, &table()).unwrap_err();
        assert!(matches!(error, DeadlineError::LawEnforcementDates { .. }));
        assert!(error.to_string().starts_with("law_enforcement_delay: "));
    }
}

#[test]
fn business_associate_owes_the_covered_entity_first() {
    let discovered = date(2026, 3, 2);
    let mut f = facts(discovered, &[("NJ", 10)]);

    f.role = PlatformRole::BusinessAssociate {
        baa_notice_days: Some(10),
    };
    let s = schedule(&f);
    let covered_entity = one(&s, &Recipient::CoveredEntity);
    assert_eq!(covered_entity.owed_by, Party::BusinessAssociate);
    assert_eq!(covered_entity.due, Some(date(2026, 3, 12)));
    assert!(
        covered_entity
            .basis
            .starts_with("Business associate agreement (10 days)")
    );
    assert_eq!(s.earliest().unwrap().recipient, Recipient::CoveredEntity);
    assert_eq!(
        one(&s, &Recipient::Individuals).owed_by,
        Party::CoveredEntity
    );

    f.role = PlatformRole::BusinessAssociate {
        baa_notice_days: Some(90),
    };
    let s = schedule(&f);
    assert_eq!(
        one(&s, &Recipient::CoveredEntity).due,
        Some(date(2026, 5, 1))
    );

    f.role = PlatformRole::BusinessAssociate {
        baa_notice_days: None,
    };
    let s = schedule(&f);
    assert_eq!(
        one(&s, &Recipient::CoveredEntity).basis,
        "45 CFR 164.410(b)"
    );

    f.role = PlatformRole::CoveredEntity;
    let s = schedule(&f);
    assert!(find(&s, &Recipient::CoveredEntity).is_empty());
}

#[test]
fn bad_inputs_are_refused() {
    let f = facts(date(2026, 3, 2), &[]);
    assert_eq!(deadlines(&f, &table()), Err(DeadlineError::NoneAffected));

    let mut f = facts(date(2026, 3, 2), &[("NJ", 1)]);
    f.individuals_notified_on = Some(date(2026, 3, 1));
    assert_eq!(
        deadlines(&f, &table()),
        Err(DeadlineError::NotifiedBeforeDiscovery)
    );

    let f = facts(date(9999, 12, 1), &[("NJ", 1)]);
    assert!(matches!(
        deadlines(&f, &table()),
        Err(DeadlineError::DateOutOfRange { .. })
    ));
}

#[test]
fn binding_deadlines_come_first_and_earliest_first() {
    let s = schedule(&facts(date(2026, 3, 2), &[("CA", 20), ("TX", 200)]));
    let ranks: Vec<Applicability> = s.deadlines.iter().map(|d| d.applies).collect();
    let mut sorted = ranks.clone();
    sorted.sort();
    assert_eq!(ranks, sorted);
    assert_eq!(
        s.earliest().unwrap().recipient,
        state_individuals("ca", "CA")
    );
}

#[test]
fn facts_and_schedules_are_json() {
    let json = r#"{
        "discovered": "2026-03-02",
        "affected": { "by_jurisdiction": { "TX": 501, "pr": 3 }, "unknown_jurisdiction": 2 },
        "role": { "kind": "business_associate", "baa_notice_days": 5 },
        "law_enforcement_delay": { "kind": "oral", "stated_on": "2026-03-03" }
    }"#;
    let f: DeadlineFacts = serde_json::from_str(json).unwrap();
    assert_eq!(f.affected.total(), 506);
    let s = schedule(&f);
    let value = serde_json::to_value(&s).unwrap();
    assert_eq!(value["discovered"], "2026-03-02");
    assert_eq!(value["deadlines"][0]["applies"], "applies");
    assert!(value["deadlines"][0]["recipient"]["kind"].is_string());
}

fn any_date() -> impl Strategy<Value = Date> {
    (2000i16..2100, 0i64..365).prop_map(|(year, day)| {
        date(year, 1, 1)
            .checked_add(jiff::Span::new().days(day))
            .unwrap()
    })
}

fn any_facts() -> impl Strategy<Value = DeadlineFacts> {
    let states = prop::collection::btree_map(
        prop::sample::select(Jurisdiction::all().collect::<Vec<_>>()),
        0u64..2_000,
        0..6,
    );
    let delay = prop::option::of((0u32..120, 0u32..120, any::<bool>()));
    (
        any_date(),
        states,
        0u64..800,
        prop::option::of(0u32..90),
        delay,
    )
        .prop_map(|(discovered, by_jurisdiction, unknown, baa, delay)| {
            let role = match baa {
                Some(days) => PlatformRole::BusinessAssociate {
                    baa_notice_days: Some(days),
                },
                None => PlatformRole::CoveredEntity,
            };
            let law_enforcement_delay = delay.map(|(start, length, written)| {
                let stated_on = add_days(discovered, start, Counting::Calendar).unwrap();
                if written {
                    LawEnforcementDelay::Written {
                        stated_on,
                        until: add_days(stated_on, length, Counting::Calendar).unwrap(),
                    }
                } else {
                    LawEnforcementDelay::Oral {
                        stated_on,
                        written_follow_up: None,
                    }
                }
            });
            DeadlineFacts {
                discovered,
                affected: Affected {
                    by_jurisdiction,
                    unknown_jurisdiction: unknown.max(1),
                },
                role,
                law_enforcement_delay,
                licensed_health_facility: Answer::Yes,
                individuals_notified_on: None,
            }
        })
}

proptest! {
    #[test]
    fn every_deadline_is_on_or_after_discovery(f in any_facts()) {
        let s = deadlines(&f, &table()).unwrap();
        for deadline in &s.deadlines {
            if let Some(due) = deadline.due {
                prop_assert!(due >= f.discovered, "{:?}", deadline.recipient);
            }
        }
    }

    #[test]
    fn the_annual_hhs_report_is_due_in_the_following_year(f in any_facts()) {
        let s = deadlines(&f, &table()).unwrap();
        let annual = hhs(&s, "45 CFR 164.408(c)");
        let due = annual.undelayed_due.or(annual.due).unwrap();
        prop_assert_eq!(due.year(), f.discovered.year() + 1);
        prop_assert!(due.month() == 2 || (due.month() == 3 && due.day() == 1));
    }

    #[test]
    fn federal_deadlines_are_never_past_sixty_days_without_a_delay(f in any_facts()) {
        let f = DeadlineFacts { law_enforcement_delay: None, ..f };
        let s = deadlines(&f, &table()).unwrap();
        let limit = add_days(f.discovered, 60, Counting::Calendar).unwrap();
        for recipient in [Recipient::Individuals, Recipient::CoveredEntity] {
            for deadline in find(&s, &recipient) {
                prop_assert!(deadline.due.unwrap() <= limit);
            }
        }
    }
}
