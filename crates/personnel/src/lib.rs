//! Personnel (人員管理): the people side of an office. So far it holds
//! business trips (出差) — applied for and approved before the trip, reported on
//! with the actual cost after it — and the employee file (員工檔案) with its
//! confidential personal data ([`employees`]), recruitment against approved
//! plans ([`recruitment`]), the new hire's onboarding ([`onboarding`]), the
//! probation and its conversion ([`probation`]) and leaving with its handover
//! ([`leaving`]), training with its plans, sessions, results and
//! certificates ([`training`]). Attendance, leave, appraisal and payroll
//! follow. Other domains read its facts
//! through [`facts`].

pub(crate) mod common;
pub mod demo;
pub mod employees;
pub mod facts;
pub mod leaving;
pub mod onboarding;
pub mod probation;
pub mod recruitment;
pub mod training;
pub mod trips;

use std::sync::Arc;

use utoipa_actix_web::service_config::ServiceConfig;
use workflow::ApprovalDocument;

/// Mounts the personnel routes (under the gateway's `/api/v1`).
pub fn configure(cfg: &mut ServiceConfig) {
    trips::configure(cfg);
    employees::api::configure(cfg);
    employees::contracts::configure(cfg);
    employees::positions::configure(cfg);
    employees::rewards::configure(cfg);
    recruitment::plans::configure(cfg);
    recruitment::candidates::configure(cfg);
    recruitment::hire::configure(cfg);
    onboarding::configure(cfg);
    probation::configure(cfg);
    leaving::configure(cfg);
    training::plans::configure(cfg);
    training::sessions::configure(cfg);
    training::certificates::configure(cfg);
}

/// The personnel documents that go through the approval engine.
pub fn documents() -> Vec<Arc<dyn ApprovalDocument>> {
    vec![
        Arc::new(trips::BusinessTripDocument),
        Arc::new(recruitment::plans::RecruitmentPlanDocument),
        Arc::new(probation::ConversionDocument),
        Arc::new(training::plans::TrainingPlanDocument),
        Arc::new(employees::rewards::RewardDocument),
    ]
}
