//! The HTTPS source (feature `https`): `mast:` URIs through MAST's `Download/file` endpoint
//! and plain `http(s)://` URLs, with `Range`/`If-Range` resume.

use futures::TryStreamExt;
use mast_proto::Patience;
use mast_proto::auth::RequestKind::Download;
use mast_proto::retry::parse_retry_after;
use reqwest::StatusCode;
use reqwest::header::{
    CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, HeaderMap, IF_RANGE, RANGE, TRANSFER_ENCODING,
};

use crate::downloader::{Failure, Job, RESUME_OVERLAP, Served, Streamed, Transfer, check_not_an_html_page};
use crate::part::{Meta, PartFile};
use crate::{Downloader, Error, ProgressEvent, Result};

impl Downloader {
    /// One `HEAD`: the `Content-Length` it announces.
    pub(crate) async fn http_length(&self, job: &Job<'_>) -> Result<Option<u64>, Failure> {
        let client = &self.inner.client;
        let request = client.authorize(client.http().head(&job.url), &job.url, Download);
        let head = client.await_head(Patience::Quick, &mast_proto::redact_url(&job.url), request.send()).await?;
        match head {
            Ok(resp) if resp.status().is_success() => Ok(content_length(resp.headers())),
            Ok(resp) => Err(refusal(client, &resp).into()),
            Err(e) => Err(transport(&job.url, e).into()),
        }
    }

    /// One attempt: resume or start, stream, verify (module docs, steps 3–5).
    pub(crate) async fn http_attempt(
        &self,
        job: &Job<'_>,
        part: &mut PartFile,
        transfer: &mut Transfer,
    ) -> Result<(), Failure> {
        let have = part.len().await?;
        let meta = if have > 0 { part.read_meta().await } else { None };
        // The sidecar's size is the server's (the listed size is only a hint).
        let mut resume = meta.as_ref().is_some_and(|m| m.url == job.url && m.size.is_none_or(|s| have <= s));
        if have > 0 && !resume {
            tracing::info!(path = %part.path.display(), bytes = have, "discarding a partial file that cannot be resumed");
            part.reset().await?;
        }
        loop {
            let start = if resume { have - have.min(RESUME_OVERLAP) } else { 0 };
            let tail = if resume { part.read_at(start, have - start).await? } else { Vec::new() };
            let mut request = self.inner.client.authorize(self.inner.client.http().get(&job.url), &job.url, Download);
            if resume {
                request = request.header(RANGE, format!("bytes={start}-"));
                if let Some(validator) = meta.as_ref().and_then(Meta::if_range) {
                    request = request.header(IF_RANGE, validator);
                }
            }
            let client = &self.inner.client;
            let response = client
                .await_head(Patience::Quick, &mast_proto::redact_url(&job.url), request.send())
                .await?
                .map_err(|e| transport(&job.url, e))?;
            let status = response.status();
            if resume && status == StatusCode::RANGE_NOT_SATISFIABLE {
                tracing::info!(url = %mast_proto::redact_url(&job.url), "the server cannot resume this file (416): starting over");
                part.reset().await?;
                resume = false;
                continue;
            }
            if !status.is_success() {
                return Err(refusal(client, &response).into());
            }
            let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
            check_not_an_html_page(job, content_type)?;
            let (offset, total, kept) = if status == StatusCode::PARTIAL_CONTENT {
                if !resume {
                    return Err(Failure::discard(Error::Protocol {
                        url: job.url.clone(),
                        message: "206 Partial Content in answer to a request without Range".into(),
                    }));
                }
                let checked = match meta.as_ref() {
                    Some(meta) => check_partial(response.headers(), start, meta),
                    None => Err("no sidecar"),
                };
                match checked {
                    Ok(total) => (start, total, have),
                    Err(why) => {
                        tracing::info!(url = %mast_proto::redact_url(&job.url), reason = why, "the partial answer does not continue the kept bytes: starting over");
                        part.reset().await?;
                        resume = false;
                        continue;
                    }
                }
            } else {
                // The whole file: the first answer, or the server ignored Range / If-Range
                // did not match (the file changed): start over with this body. A
                // `Content-Length` other than the listed size is trusted (checked in verify).
                let announced = content_length(response.headers());
                // Without `resume` the file is already empty (discarded before the loop or
                // when a resume failed): only a refused resume has bytes to drop.
                if resume {
                    part.reset().await?;
                }
                part.write_meta(&Meta::from_headers(&job.url, response.headers(), announced)).await?;
                (0, announced, 0)
            };
            let served = match total {
                Some(n) => Served::Length(n),
                None if ends_by_close(&response) => Served::Unframed,
                None => Served::Framed,
            };
            if kept > 0 {
                transfer.resumed_from = transfer.resumed_from.max(kept);
            }
            self.emit(|| ProgressEvent::Started {
                path: job.target.to_path_buf(),
                total: total.or(job.size),
                resumed_from: kept,
            });
            // Only a partial answer re-sends the kept tail; a whole file starts at byte 0.
            let overlap: &[u8] = if status == StatusCode::PARTIAL_CONTENT { &tail } else { &[] };
            let body = response.bytes_stream().map_err(|e| transport(&job.url, e));
            match self.stream(job, part, body, offset, overlap, transfer).await? {
                Streamed::Complete => {}
                Streamed::TailMismatch => {
                    tracing::info!(url = %mast_proto::redact_url(&job.url), "the kept bytes are not a prefix of the file on the server: starting over");
                    part.reset().await?;
                    resume = false;
                    continue;
                }
            }
            return self.verify(job, part, served, transfer).await;
        }
    }
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

/// Whether the body of an answer without a length ends when the connection closes (HTTP/1.x
/// without chunked encoding): then nothing tells a cut body from a complete one. A chunked
/// body's end is marked (hyper reports a cut one as an error), as is an HTTP/2 stream's.
fn ends_by_close(response: &reqwest::Response) -> bool {
    let chunked = response
        .headers()
        .get_all(TRANSFER_ENCODING)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.to_ascii_lowercase().contains("chunked")));
    response.version() <= reqwest::Version::HTTP_11 && !chunked
}

/// Checks a `206` against the request and the sidecar; the file's total size if known. The
/// listed size plays no part (it is a hint, checked in verify).
fn check_partial(headers: &HeaderMap, start: u64, meta: &Meta) -> Result<Option<u64>, &'static str> {
    let range = headers.get(CONTENT_RANGE).and_then(|v| v.to_str().ok()).ok_or("no Content-Range")?;
    let spec = range.trim().strip_prefix("bytes ").ok_or("Content-Range not in bytes")?;
    let (span, total) = spec.split_once('/').ok_or("malformed Content-Range")?;
    let (first, last) = span.split_once('-').ok_or("malformed Content-Range")?;
    let first: u64 = first.trim().parse().map_err(|_| "malformed Content-Range")?;
    let last: u64 = last.trim().parse().map_err(|_| "malformed Content-Range")?;
    let total: Option<u64> = match total.trim() {
        "*" => None,
        t => Some(t.parse().map_err(|_| "malformed Content-Range")?),
    };
    if first != start || last < first {
        return Err("Content-Range does not start where asked");
    }
    // The span's length, checked: the numbers are the server's.
    let span = (last - first).checked_add(1).ok_or("Content-Range spans more than any file")?;
    if let Some(t) = total {
        if last.checked_add(1) != Some(t) {
            return Err("Content-Range does not reach the end of the file");
        }
        if meta.size.is_some_and(|s| s != t) {
            return Err("the file's size changed");
        }
    }
    if let Some(n) = content_length(headers)
        && n != span
    {
        return Err("Content-Length disagrees with Content-Range");
    }
    let etag = headers.get(ETAG).and_then(|v| v.to_str().ok());
    if let (Some(now), Some(then)) = (etag, meta.etag.as_deref())
        && now != then
    {
        return Err("the ETag changed");
    }
    Ok(total.or(meta.size))
}

/// The error for an answer with an error status: [`Error::Unauthorized`] for a `401` from
/// a URL that carries the client's token (one of MAST's hosts: an exclusive-access product,
/// refused with or without a token, as the client's token slot says now), else
/// [`Error::Http`].
fn refusal(client: &mast_proto::MastClient, response: &reqwest::Response) -> Error {
    let config = client.config();
    let url = response.url().as_str();
    if response.status() == StatusCode::UNAUTHORIZED && mast_proto::auth::may_send_token(config, url, Download) {
        return Error::Unauthorized {
            url: url.to_owned(),
            with_token: client.has_token(),
            token_page: mast_proto::auth::token_page_url(config),
        };
    }
    http_error(response)
}

fn http_error(response: &reqwest::Response) -> Error {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, std::time::SystemTime::now()));
    Error::Http {
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("").to_owned(),
        url: response.url().to_string(),
        retry_after,
    }
}

/// A transport error of a download, its cause kept as the source (without the URL).
pub(crate) fn transport(url: &str, e: reqwest::Error) -> Error {
    let hint = if e.is_connect() {
        "check the MAST URL settings (MAST_URL, ...) and the network"
    } else if e.is_timeout() {
        "the server stopped sending; try again later or raise MAST_IDLE_TIMEOUT"
    } else {
        "the connection was cut; run the download again to resume it"
    };
    let e = e.without_url();
    Error::Proto(mast_proto::Error::Transport {
        what: format!("the download of {}", mast_proto::redact_url(url)),
        message: mast_proto::innermost_cause(&e),
        hint: Some(hint.to_owned()),
        source: Some(Box::new(e)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(reqwest::header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn partial_answers_are_checked() {
        let meta = Meta { url: "u".into(), etag: Some("\"a\"".into()), last_modified: None, size: Some(100) };
        let ok = headers(&[(CONTENT_RANGE, "bytes 40-99/100"), (CONTENT_LENGTH, "60"), (ETAG, "\"a\"")]);
        assert_eq!(check_partial(&ok, 40, &meta), Ok(Some(100)));
        assert!(check_partial(&ok, 41, &meta).is_err());
        let other = Meta { size: Some(99), ..meta.clone() };
        assert!(check_partial(&ok, 40, &other).is_err());
        let etag = headers(&[(CONTENT_RANGE, "bytes 40-99/100"), (ETAG, "\"b\"")]);
        assert!(check_partial(&etag, 40, &meta).is_err());
        let short = headers(&[(CONTENT_RANGE, "bytes 40-89/100")]);
        assert!(check_partial(&short, 40, &meta).is_err());
        let unknown = headers(&[(CONTENT_RANGE, "bytes 40-99/*")]);
        assert_eq!(check_partial(&unknown, 40, &meta), Ok(Some(100)));
        assert!(check_partial(&HeaderMap::new(), 40, &meta).is_err());
        assert!(check_partial(&headers(&[(CONTENT_RANGE, "items 1-2/3")]), 1, &meta).is_err());
        // One byte is a span (the last byte of the file); a span that ends before it starts
        // is not.
        let last_byte = headers(&[(CONTENT_RANGE, "bytes 99-99/100"), (CONTENT_LENGTH, "1")]);
        assert_eq!(check_partial(&last_byte, 99, &meta), Ok(Some(100)));
        assert!(check_partial(&headers(&[(CONTENT_RANGE, "bytes 99-98/100")]), 99, &meta).is_err());
        // A hostile server's numbers at the edge of u64: an error, never an overflow.
        let max = u64::MAX;
        for (range, start) in [
            (format!("bytes 0-{max}/{max}"), 0),
            (format!("bytes 40-{max}/*"), 40),
            (format!("bytes 40-{max}/{max}"), 40),
        ] {
            let h = headers(&[(CONTENT_RANGE, &range), (CONTENT_LENGTH, "60")]);
            assert!(check_partial(&h, start, &meta).is_err(), "{range}");
        }
    }
}
