//! The local IAM policy evaluator (being written).
