//! Integration tests of the mock over real HTTP on 127.0.0.1, one file per capability.

mod access;
mod auth;
mod bad_input;
mod binary;
mod cgu;
mod control;
mod helpers;
mod isolation;
mod mailbox_browser;
mod payment;
mod team;
mod user;
