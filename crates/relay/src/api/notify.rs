//! The notify WebSocket (PROTOCOL.md "Notify WebSocket"): `ready`, then `new` for every head the
//! workspace reaches with something for this device in it; re-checks revocation; closes on shutdown.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use tend_wire::sync_wire::{ClientMessage, ServerMessage};
use tokio::sync::broadcast::error::RecvError;

use super::{bearer, hash_secret, scoped, ApiError, ApiPath, AppState, St};

const WS_AUTH_TIMEOUT: Duration = Duration::from_secs(10);
const WS_KEEPALIVE: Duration = Duration::from_secs(30);

/// Parses one text frame from a device. Pure: fuzzed.
pub fn decode_client_message(text: &str) -> Result<ClientMessage, ApiError> {
    serde_json::from_str(text).map_err(|e| ApiError::bad(format!("invalid message: {e}")))
}

fn server_msg(m: &ServerMessage) -> Message {
    Message::Text(
        serde_json::to_string(m)
            .unwrap_or_else(|_| "{}".into())
            .into(),
    )
}

fn err_msg(e: &ApiError) -> Message {
    server_msg(&ServerMessage::Error {
        error: e.code.to_owned(),
        message: e.message.clone(),
    })
}

pub(super) async fn notify(
    State(st): St,
    ApiPath(ws): ApiPath<String>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let upgrade = upgrade.map_err(|r| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("expected a WebSocket upgrade: {}", r.body_text()),
        )
    })?;
    // Authenticate before upgrading when the client can send a header.
    let pre = match bearer(&headers) {
        Some(t) => {
            let hash = hash_secret(t?);
            let p = st
                .store
                .authenticate(hash)
                .await?
                .ok_or_else(|| ApiError::unauthorized("unknown or revoked device token"))?;
            scoped(&p, &ws)?;
            Some(hash)
        }
        None => None,
    };
    let max = st.config.ws_max_message_bytes.max(64);
    Ok(upgrade
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| run_socket(st, ws, pre, socket)))
}

/// Whether a receive failed because the message was over the limit (`max_message_size`).
fn is_too_big(e: &axum::Error) -> bool {
    matches!(
        std::error::Error::source(e).and_then(|s| s.downcast_ref::<tungstenite::Error>()),
        Some(tungstenite::Error::Capacity(_))
    )
}

async fn close(mut socket: WebSocket, code: u16, reason: &'static str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}

async fn run_socket(st: Arc<AppState>, ws: String, pre: Option<[u8; 32]>, mut socket: WebSocket) {
    let token_hash = match pre {
        Some(h) => h,
        None => {
            let first = tokio::time::timeout(WS_AUTH_TIMEOUT, socket.recv()).await;
            let token = match first {
                Ok(Some(Ok(Message::Text(t)))) => match decode_client_message(&t) {
                    Ok(ClientMessage::Auth { token }) => token,
                    Ok(_) => {
                        let e = ApiError::unauthorized("the first message must be auth");
                        let _ = socket.send(err_msg(&e)).await;
                        return close(socket, 1008, "unauthorized").await;
                    }
                    Err(e) => {
                        let _ = socket.send(err_msg(&e)).await;
                        return close(socket, 1008, "unauthorized").await;
                    }
                },
                Ok(Some(Err(e))) if is_too_big(&e) => {
                    return close(socket, 1009, "message too big").await
                }
                _ => return close(socket, 1008, "unauthorized").await,
            };
            hash_secret(&token)
        }
    };
    let device = match st.store.authenticate(token_hash).await {
        Ok(Some(p)) if p.workspace_id == ws => Some(p.device_id),
        Ok(Some(_)) => {
            let _ = socket.send(err_msg(&ApiError::forbidden())).await;
            None
        }
        Ok(None) => {
            let e = ApiError::unauthorized("unknown or revoked device token");
            let _ = socket.send(err_msg(&e)).await;
            None
        }
        Err(e) => {
            let _ = socket.send(err_msg(&ApiError::from(e))).await;
            None
        }
    };
    let Some(device) = device else {
        return close(socket, 1008, "unauthorized").await;
    };
    // Subscribe before reading the head, so nothing falls between them.
    let mut rx = st.notifier.subscribe(&ws);
    let head = match st.store.head(&ws).await {
        Ok(h) => h,
        Err(_) => return close(socket, 1011, "store unavailable").await,
    };
    if socket
        .send(server_msg(&ServerMessage::Ready { head_seq: head }))
        .await
        .is_err()
    {
        return;
    }
    let mut last_sent = head;
    let mut shutdown = st.shutdown.clone();
    let mut keepalive = tokio::time::interval(WS_KEEPALIVE);
    keepalive.tick().await;
    let mut recheck = tokio::time::interval(Duration::from_secs(st.config.ws_recheck_secs.max(1)));
    recheck.tick().await;
    loop {
        tokio::select! {
            n = rx.recv() => {
                let seq = match n {
                    Ok(seq) => seq,
                    Err(RecvError::Lagged(_)) => match st.store.head(&ws).await {
                        Ok(h) => h,
                        Err(_) => continue,
                    },
                    Err(RecvError::Closed) => break,
                };
                // Only news: each socket sees strictly increasing seqs (PostgreSQL may deliver late).
                if seq <= last_sent {
                    continue;
                }
                // Only news for this device: chunks of documents it reads, key changes it may see.
                // (If the store cannot tell, it is told: a wake-up carries no data.)
                let mine = st.store.news_for(&ws, &device, last_sent, seq).await.unwrap_or(true);
                last_sent = seq;
                if !mine {
                    continue;
                }
                if socket.send(server_msg(&ServerMessage::New { seq })).await.is_err() {
                    break;
                }
            }
            m = socket.recv() => {
                let reply = match m {
                    Some(Err(e)) if is_too_big(&e) => {
                        return close(socket, 1009, "message too big").await
                    }
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                    Some(Ok(Message::Text(t))) => match decode_client_message(&t) {
                        Ok(ClientMessage::Ping) => server_msg(&ServerMessage::Pong),
                        Ok(ClientMessage::Auth { .. }) => err_msg(&ApiError::bad("already authenticated")),
                        Err(e) => err_msg(&e),
                    },
                    Some(Ok(Message::Binary(_))) => err_msg(&ApiError::bad("binary messages are not accepted")),
                    Some(Ok(_)) => continue,
                };
                if socket.send(reply).await.is_err() {
                    break;
                }
            }
            _ = keepalive.tick() => {
                if socket.send(Message::Ping(Bytes::new())).await.is_err() {
                    break;
                }
            }
            _ = recheck.tick() => {
                if let Ok(None) = st.store.authenticate(token_hash).await {
                    let e = ApiError::unauthorized("device revoked");
                    let _ = socket.send(err_msg(&e)).await;
                    return close(socket, 1008, "revoked").await;
                }
            }
            _ = shutdown.changed() => {
                return close(socket, 1001, "relay shutting down").await;
            }
        }
    }
}
