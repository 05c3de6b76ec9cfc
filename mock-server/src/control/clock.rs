//! `/_mock/clock`: the mock's business time. Moving it forward fires at once,
//! in order, everything that fell due meanwhile (notifications, reminders,
//! negligence, webhook retries). The date window of authentication keeps
//! following the real clock.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::JsonBody;
use crate::app_state::AppState;
use crate::error::ControlError;
use crate::slug::Slug;

/// Body of `POST /_mock/clock`: `{"advance": 3600}` or `{"advance": "15d"}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Advance {
    advance: Option<Value>,
}

/// Seconds from `3600`, `"3600"`, `"90s"`, `"30m"`, `"2h"` or `"15d"`; at most 10 years.
fn seconds(value: &Value) -> Option<u32> {
    let total = match value {
        Value::Number(n) => n.as_u64()?,
        Value::String(text) => {
            let text = text.trim();
            let (number, unit) = match text.char_indices().last()? {
                (i, unit @ ('s' | 'm' | 'h' | 'd')) => (&text[..i], unit),
                _ => (text, 's'),
            };
            let factor = match unit {
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                _ => 1,
            };
            number.trim().parse::<u64>().ok()?.checked_mul(factor)?
        }
        _ => return None,
    };
    u32::try_from(total).ok().filter(|s| *s <= 10 * 366 * 86_400)
}

fn now(state: &AppState) -> Value {
    json!({
        "now": state.store.clock.now_paris(),
        "offset_seconds": state.store.clock.offset(),
        "ticks": state.runner.ticks(),
    })
}

/// `GET /_mock/clock`: `{"now", "offset_seconds", "ticks"}` (ticks of the ticker so far: a test
/// that waits for two has seen everything due then fire).
pub(crate) async fn read_clock(State(state): State<AppState>) -> Json<Value> {
    Json(now(&state))
}

/// `POST /_mock/clock`: moves the business time forward and fires what fell due.
pub(crate) async fn advance_clock(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<Advance>,
) -> Result<Json<Value>, ControlError> {
    let bad = || ControlError(StatusCode::BAD_REQUEST, Slug::InvalidAdvance);
    let by = body.advance.as_ref().and_then(seconds).ok_or_else(bad)?;
    let fired = state.runner.advance(&state.store, by).await;
    let mut answer = now(&state);
    answer["fired"] = json!(fired);
    Ok(Json(answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_seconds_minutes_hours_and_days() {
        assert_eq!(seconds(&json!(3600)), Some(3600));
        assert_eq!(seconds(&json!("15d")), Some(15 * 86_400));
        assert_eq!(seconds(&json!(" 2h ")), Some(7200));
        assert_eq!(seconds(&json!("30m")), Some(1800));
        assert_eq!(seconds(&json!("45s")), Some(45));
        assert_eq!(seconds(&json!("45")), Some(45));
        for bad in
            [json!(-1), json!("-1d"), json!("1w"), json!("d"), json!(""), json!(1.5), json!(null), json!("99999d")]
        {
            assert_eq!(seconds(&bad), None, "{bad}");
        }
    }
}
