//! Workspaces, join secrets and devices (PROTOCOL.md "Workspaces and devices").

use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::{body::Bytes, Json};
use tend_wire::sync_wire::{
    CreateJoinSecretRequest, CreateWorkspaceRequest, DeviceCredentials, DeviceList, JoinRequest,
    JoinSecretResponse,
};

use super::{
    bearer, check_name, hash_secret, json_body, new_id, new_secret, scoped, ApiError, ApiPath,
    Auth, ClientIp, St, DEFAULT_JOIN_TTL, MAX_ID_LEN,
};

pub(super) async fn create_workspace(
    State(st): St,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<DeviceCredentials>), ApiError> {
    // Counted before the creation token is checked: guessing it is limited too.
    st.rate.create_from(ip)?;
    if let Some(required) = &st.config.create_token {
        let given = bearer(&headers)
            .unwrap_or_else(|| Err(ApiError::unauthorized("creating a workspace needs a token")))?;
        if hash_secret(given) != hash_secret(required) {
            return Err(ApiError::unauthorized("wrong workspace creation token"));
        }
    }
    let req: CreateWorkspaceRequest = if body.as_ref().map(|b| b.is_empty()).unwrap_or(false) {
        CreateWorkspaceRequest::default()
    } else {
        json_body(body)?
    };
    check_name(&req.device_name)?;
    let (ws, dev, token) = (new_id()?, new_id()?, new_secret()?);
    st.store
        .create_workspace(&ws, &dev, hash_secret(&token), st.now())
        .await?;
    tracing::info!(workspace = %ws, device = %dev, "workspace created");
    Ok((
        StatusCode::CREATED,
        Json(DeviceCredentials {
            workspace_id: ws,
            device_id: dev,
            device_token: token,
        }),
    ))
}

pub(super) async fn create_join_secret(
    State(st): St,
    Auth(p): Auth,
    ApiPath(ws): ApiPath<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<JoinSecretResponse>), ApiError> {
    scoped(&p, &ws)?;
    let req: CreateJoinSecretRequest = if body.as_ref().map(|b| b.is_empty()).unwrap_or(false) {
        CreateJoinSecretRequest::default()
    } else {
        json_body(body)?
    };
    let ttl = req
        .ttl_secs
        .unwrap_or(DEFAULT_JOIN_TTL)
        .clamp(1, st.config.join_secret_max_ttl.max(1));
    let secret = new_secret()?;
    let expires_at = st.now().saturating_add(ttl as i64);
    st.store
        .create_join_secret(
            &ws,
            hash_secret(&secret),
            expires_at,
            &p.device_id,
            req.workspace_generation.unwrap_or(0),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(JoinSecretResponse {
            join_secret: secret,
            expires_at,
        }),
    ))
}

pub(super) async fn join(
    State(st): St,
    ClientIp(ip): ClientIp,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<DeviceCredentials>), ApiError> {
    st.rate.join_from(ip)?;
    let req: JoinRequest = json_body(body)?;
    check_name(&req.device_name)?;
    // Like every other failure of the secret itself: 403, indistinguishable (PROTOCOL.md).
    if req.workspace_id.len() > MAX_ID_LEN || req.join_secret.len() > MAX_ID_LEN {
        return Err(join_rejected());
    }
    st.rate.join_into(&req.workspace_id)?;
    let (dev, token) = (new_id()?, new_secret()?);
    match st
        .store
        .join(
            &req.workspace_id,
            hash_secret(&req.join_secret),
            st.now(),
            &dev,
            hash_secret(&token),
        )
        .await?
    {
        Ok(()) => {
            tracing::info!(workspace = %req.workspace_id, device = %dev, "device joined");
            Ok((
                StatusCode::CREATED,
                Json(DeviceCredentials {
                    workspace_id: req.workspace_id,
                    device_id: dev,
                    device_token: token,
                }),
            ))
        }
        Err(_) => Err(join_rejected()),
    }
}

fn join_rejected() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "join_rejected",
        "the join secret is unknown, already used, expired, revoked, or for another workspace",
    )
}

pub(super) async fn list_devices(
    State(st): St,
    Auth(p): Auth,
    ApiPath(ws): ApiPath<String>,
) -> Result<Json<DeviceList>, ApiError> {
    scoped(&p, &ws)?;
    Ok(Json(DeviceList {
        devices: st.store.list_devices(&ws).await?,
    }))
}

pub(super) async fn revoke_device(
    State(st): St,
    Auth(p): Auth,
    ApiPath((ws, device)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    scoped(&p, &ws)?;
    if st.store.revoke_device(&ws, &device, st.now()).await? {
        tracing::info!(workspace = %ws, device = %device, by = %p.device_id, "device revoked");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such device in this workspace",
        ))
    }
}
