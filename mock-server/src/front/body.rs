//! A request body received within a limit, for the AR24 API and the control
//! plane alike. A body refused for its size is still read to its end and
//! dropped (within [`DRAIN_LIMIT`] and [`DRAIN_TIME`]): a client still sending
//! it then reads the refusal, where closing the connection under it would give
//! it a broken pipe instead. Past those, the connection closes.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, header};
use bytes::Bytes;
use http_body_util::BodyExt;

const DRAIN_LIMIT: u64 = 1 << 30;
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// A body as received within a limit.
pub enum Received {
    Whole(Bytes),
    /// Over the limit: by its declared length (refused before a byte is kept)
    /// or as it arrived.
    TooLarge {
        declared: Option<u64>,
    },
    /// The connection broke before the body's end.
    CutOff,
}

/// Receives `body` whole if it is at most `limit` bytes.
pub async fn receive(mut body: Body, headers: &HeaderMap, limit: usize) -> Received {
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if let Some(length) = declared.filter(|length| *length > limit as u64) {
        // A client that waits for `100 Continue` before sending has sent nothing to read.
        let waits = headers.get(header::EXPECT).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        if length <= DRAIN_LIMIT && !waits {
            drain(body).await;
        }
        return Received::TooLarge { declared };
    }
    let (mut chunks, mut size) = (Vec::<Bytes>::new(), 0);
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else { return Received::CutOff };
        let Ok(data) = frame.into_data() else { continue };
        size += data.len();
        if size > limit {
            drain(body).await;
            return Received::TooLarge { declared: None };
        }
        chunks.push(data);
    }
    Received::Whole(match chunks.len() {
        0 => Bytes::new(),
        1 => chunks.swap_remove(0),
        _ => chunks.concat().into(),
    })
}

/// Reads and drops what is left of a refused body.
async fn drain(mut body: Body) {
    let mut left = DRAIN_LIMIT;
    let reading = async {
        while left > 0
            && let Some(Ok(frame)) = body.frame().await
        {
            left = left.saturating_sub(frame.data_ref().map_or(0, |data| data.len() as u64));
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, reading).await;
}
