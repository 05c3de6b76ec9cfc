//! Integration tests of the mock over real HTTP on 127.0.0.1, one file per capability.

mod access;
mod auth;
mod bad_input;
mod binary;
mod cgu;
mod client;
mod control;
mod eidas;
mod faults;
mod helpers;
mod hints;
mod isolation;
mod lifecycle;
mod load;
mod lock;
mod mailbox_browser;
mod openapi;
mod payment;
mod persistence;
mod record_follows_write;
mod seed;
mod sending;
mod state;
mod team;
mod user;
mod webhooks;
