//! The care plan: needs -> measurable goals (with progress) -> actions, plus barriers, the
//! patient's preferences and priorities, revisions and agreement. Kept as flat lists linked by
//! ids so each list merges item by item.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::common::{IsoDate, Retirement, Stamp};
use super::kinds::*;
use super::narrative::Narrative;

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct CarePlan {
    pub needs: Vec<Need>,
    pub goals: Vec<Goal>,
    pub actions: Vec<CareAction>,
    pub barriers: Vec<Barrier>,
    pub preferences: Narrative,
    pub priorities: Narrative,
    pub revisions: Vec<PlanRevision>,
    pub agreements: Vec<Agreement>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Need {
    #[key]
    pub id: String,
    pub description: String,
    /// Free-text area ("medical", "functional", an SDOH domain...).
    pub domain: String,
    pub status: NeedStatus,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Goal {
    #[key]
    pub id: String,
    pub need_id: String,
    pub description: String,
    /// What is measured ("HbA1c", "falls per month") and the target ("< 8%", "0").
    pub measure: String,
    pub target: String,
    pub due: Option<IsoDate>,
    pub status: GoalStatus,
    pub progress: Vec<ProgressEntry>,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct ProgressEntry {
    #[key]
    pub id: String,
    pub date: IsoDate,
    pub value: String,
    pub note: String,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct CareAction {
    #[key]
    pub id: String,
    pub goal_id: String,
    pub description: String,
    pub responsible: Responsible,
    pub due: Option<IsoDate>,
    pub status: ActionStatus,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Barrier {
    #[key]
    pub id: String,
    pub description: String,
    /// Goal it blocks, empty when it affects the whole plan.
    pub goal_id: String,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct PlanRevision {
    #[key]
    pub id: String,
    pub date: IsoDate,
    pub reason: String,
    pub summary: String,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
}

/// The patient's (or representative's) agreement with the plan as revised.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Agreement {
    #[key]
    pub id: String,
    pub date: IsoDate,
    pub agreed: bool,
    pub method: ConsentMethod,
    /// Patient, or the representative's name and relationship.
    pub agreed_by: String,
    pub note: String,
    pub recorded: Stamp,
    pub retired: Option<Retirement>,
}
