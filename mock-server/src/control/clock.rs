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
use crate::error::{ControlError, ReasonedError};
use crate::slug::Slug;

/// Body of `POST /_mock/clock`: `{"advance": 3600}` or `{"advance": "15d"}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Advance {
    advance: Option<Value>,
}

/// The longest move: 10 years.
const MAX_ADVANCE: u64 = 10 * 366 * 86_400;

/// Seconds from a number (`3600`) or a duration: a number and a unit, `s`, `m`,
/// `h`, `d` or `w` or their words (`"90s"`, `"30 minutes"`, `"1.5h"`, `"15 days"`);
/// a whole number of seconds, up to 10 years. Otherwise what is wrong, in words.
fn seconds(value: &Value) -> Result<u32, String> {
    let total = match value {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(text) => duration(text)?,
        Value::Null => return Err("no `advance`: send {\"advance\": \"15d\"}, or 0 to only do what is due now".into()),
        other => return Err(format!("{other} is neither a number of seconds nor a duration such as \"15d\"")),
    };
    if total < 0.0 {
        return Err(format!("{value} is negative: the clock moves forward only"));
    }
    if total.fract() != 0.0 {
        return Err(format!("{value} is not a whole number of seconds ({total} s)"));
    }
    if total > MAX_ADVANCE as f64 {
        return Err(format!("{value} is more than 10 years"));
    }
    Ok(total as u32)
}

/// A duration's seconds, maybe fractional: a number, then maybe a unit.
fn duration(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_alphabetic()).unwrap_or(text.len());
    let (number, unit) = (text[..split].trim(), text[split..].trim().to_lowercase());
    let number: f64 = match number.parse() {
        Ok(number) if f64::is_finite(number) => number,
        _ => return Err(format!("{text:?} does not start with a number")),
    };
    let factor = match unit.as_str() {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86_400.0,
        "w" | "week" | "weeks" => 604_800.0,
        "y" | "year" | "years" | "mo" | "month" | "months" => {
            return Err(format!("{text:?}: months and years have no fixed length; count days (\"365d\")"));
        }
        other => return Err(format!("{text:?}: the unit {other:?} is none of s, m, h, d or w")),
    };
    Ok(number * factor)
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
) -> Result<Json<Value>, ReasonedError> {
    let advance = body.advance.unwrap_or(Value::Null);
    let by = seconds(&advance)
        .map_err(|reason| ControlError::with_reason(StatusCode::BAD_REQUEST, Slug::InvalidAdvance, reason))?;
    let fired = state.runner.advance(&state.store, by).await;
    let mut answer = now(&state);
    answer["fired"] = json!(fired);
    Ok(Json(answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_seconds_minutes_hours_days_and_weeks() {
        assert_eq!(seconds(&json!(3600)), Ok(3600));
        assert_eq!(seconds(&json!("15d")), Ok(15 * 86_400));
        assert_eq!(seconds(&json!("15 days")), Ok(15 * 86_400));
        assert_eq!(seconds(&json!(" 2h ")), Ok(7200));
        assert_eq!(seconds(&json!("1.5h")), Ok(5400));
        assert_eq!(seconds(&json!("30m")), Ok(1800));
        assert_eq!(seconds(&json!("2 Minutes")), Ok(120));
        assert_eq!(seconds(&json!("1w")), Ok(7 * 86_400));
        assert_eq!(seconds(&json!("45s")), Ok(45));
        assert_eq!(seconds(&json!("45")), Ok(45));
        assert_eq!(seconds(&json!(2.0)), Ok(2));
    }

    #[test]
    fn a_duration_that_cannot_be_read_says_why() {
        let why = |value: Value| seconds(&value).unwrap_err();
        assert!(why(json!(-1)).contains("forward only"));
        assert!(why(json!("-1d")).contains("forward only"));
        assert!(why(json!("1y")).contains("365d"), "{}", why(json!("1y")));
        assert!(why(json!("3 months")).contains("no fixed length"));
        assert!(why(json!("2 fortnights")).contains("\"fortnights\""));
        assert!(why(json!("d")).contains("does not start with a number"));
        assert!(why(json!("")).contains("does not start with a number"));
        assert!(why(json!(1.5)).contains("whole number of seconds"));
        assert!(why(json!("0.5s")).contains("whole number of seconds"));
        assert!(why(json!(null)).contains("no `advance`"));
        assert!(why(json!([1])).contains("neither a number"));
        assert!(why(json!("99999d")).contains("10 years"));
        assert!(why(json!("inf")).contains("does not start with a number"));
    }
}
