//! The reconciler: a deployment made real as `plan`, `apply` and `destroy`.
//!
//! - [`Desired`]: what the deployment asks for, computed offline;
//! - [`PlannedChange`]: a typed, ordered change (create, update with a field
//!   diff, or delete) of one [`Resource`].

pub mod change;
pub mod desired;

pub use change::{Action, PlannedChange, Resource, Step};
pub use desired::{Desired, DesiredAdmin, DesiredDomain, DesiredProfile, DesiredRole};
