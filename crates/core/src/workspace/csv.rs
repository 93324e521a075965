//! Reading a directory from CSV.
