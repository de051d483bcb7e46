//! The server's one error type: every failure becomes a JSON [`ErrorBody`] with a stable code.
//! 4xx answers say what was wrong; 5xx answers are logged with their cause and say nothing more.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use turno_shared::api::{ErrorBody, ErrorCode};
use turno_shared::domain::{IllegalTransition, InvalidValue};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{message}")]
    BadRequest {
        status: StatusCode,
        code: ErrorCode,
        message: String,
    },
    #[error("authentication required")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{message}")]
    Conflict { code: ErrorCode, message: String },
    #[error("too many failed attempts; try again in {retry_after_secs} seconds")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// An error about one field of the request (`name.en`, `closed_days`, …): what a form shows next
    /// to that field. Answers as `error` does.
    #[error("{error}")]
    Field { field: String, error: Box<Error> },
}

impl Error {
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::BadRequest {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: ErrorCode::InvalidInput,
            message: message.into(),
        }
    }

    /// A value of `field` that breaks a rule (422).
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::invalid(message).on(field)
    }

    /// This error, as concerning `field` of the request.
    pub fn on(self, field: impl Into<String>) -> Self {
        match self {
            Error::Field { error, .. } => Error::Field {
                field: field.into(),
                error,
            },
            error => Error::Field {
                field: field.into(),
                error: Box::new(error),
            },
        }
    }

    /// The field of the request this error concerns, if it says.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Field { field, .. } => Some(field),
            _ => None,
        }
    }

    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Error::Conflict {
            code,
            message: message.into(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound(what.into())
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Error::Forbidden(message.into())
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Error::Internal(cause.to_string())
    }

    pub fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        match self {
            Error::BadRequest { status, code, .. } => (*status, *code),
            Error::Unauthenticated => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated),
            Error::Forbidden(_) => (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
            Error::NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            Error::Conflict { code, .. } => (StatusCode::CONFLICT, *code),
            Error::TooManyAttempts { .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::TooManyAttempts),
            Error::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable),
            Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
            Error::Field { error, .. } => error.status_and_code(),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            Error::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                "internal error; the operation was not recorded".to_owned()
            }
            other => other.to_string(),
        };
        let mut resp = (status, axum::Json(ErrorBody { code, message })).into_response();
        if let Error::TooManyAttempts { retry_after_secs } = self {
            resp.headers_mut().insert("retry-after", retry_after_secs.into());
        }
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert("www-authenticate", "Bearer".parse().expect("static header"));
        }
        resp
    }
}

impl From<IllegalTransition> for Error {
    fn from(e: IllegalTransition) -> Self {
        Error::conflict(ErrorCode::IllegalTransition, e.to_string())
    }
}

impl From<InvalidValue> for Error {
    fn from(e: InvalidValue) -> Self {
        Error::invalid(e.0)
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Internal(format!("database: {e}"))
    }
}

/// Whether an error was caused by a body that did not arrive in time.
fn body_timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(e) = cause {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = e.source();
    }
    false
}

impl From<JsonRejection> for Error {
    fn from(r: JsonRejection) -> Self {
        if body_timed_out(&r) {
            return Error::BadRequest {
                status: StatusCode::REQUEST_TIMEOUT,
                code: ErrorCode::Timeout,
                message: "the request's body did not arrive in time".into(),
            };
        }
        let code = match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::BodyTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
            _ => ErrorCode::InvalidJson,
        };
        Error::BadRequest {
            status: r.status(),
            code,
            message: r.body_text(),
        }
    }
}

impl From<PathRejection> for Error {
    fn from(r: PathRejection) -> Self {
        Error::BadRequest {
            status: StatusCode::BAD_REQUEST,
            code: ErrorCode::InvalidPath,
            message: r.body_text(),
        }
    }
}

impl From<QueryRejection> for Error {
    fn from(r: QueryRejection) -> Self {
        Error::BadRequest {
            status: StatusCode::BAD_REQUEST,
            code: ErrorCode::InvalidQuery,
            message: r.body_text(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
