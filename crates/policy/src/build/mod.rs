//! Builders for the policies studio-fed emits (being written).
