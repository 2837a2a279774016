//! The IAM limits linter (being written).
