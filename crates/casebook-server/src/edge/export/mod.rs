//! Any export [`Table`] written as a file into an HTTP response while its rows are read: CSV in
//! UTF-8 with a byte-order mark or in GB18030 (`delimited`), or XLSX (`workbook`), with formula
//! injection made impossible (`guard`). A failure after the first byte ends the response
//! early, so a client sees an incomplete transfer rather than a short file that looks whole.

pub mod delimited;
pub mod guard;
pub mod workbook;

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::actions::ActionError;
use crate::actions::reporting::exports::{Format, Table};
use delimited::Encoding;

/// The media type of a format.
pub fn content_type(format: Format) -> &'static str {
    match format {
        Format::Csv => "text/csv; charset=utf-8",
        Format::CsvGb18030 => "text/csv; charset=gb18030",
        Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
}

fn failed(e: ActionError) -> std::io::Error {
    tracing::error!(error = %e, "an export stopped");
    std::io::Error::other(e.to_string())
}

fn csv_body(table: Table, encoding: Encoding) -> Body {
    let head = delimited::head(&table.headers, encoding);
    let rows = table.batches.map(move |batch| match batch {
        Ok(rows) => Ok(delimited::batch(&rows, encoding)),
        Err(e) => Err(failed(e)),
    });
    Body::from_stream(
        futures_util::stream::once(async move { Ok::<_, std::io::Error>(head) }).chain(rows),
    )
}

fn xlsx_body(table: Table) -> Body {
    let (chunks, response) = mpsc::channel::<std::io::Result<Bytes>>(16);
    let (rows, received) = mpsc::channel::<workbook::Message>(2);
    let Table {
        name,
        headers,
        mut batches,
    } = table;
    let writer_chunks = chunks.clone();
    let writer = tokio::task::spawn_blocking(move || {
        workbook::write(&name, &headers, received, writer_chunks)
    });
    tokio::spawn(async move {
        let mut complete = true;
        while let Some(batch) = batches.next().await {
            match batch {
                Ok(batch) => {
                    if chunks.is_closed()
                        || rows.send(workbook::Message::Rows(batch)).await.is_err()
                    {
                        complete = false;
                        break;
                    }
                }
                Err(e) => {
                    let _ = chunks.send(Err(failed(e))).await;
                    complete = false;
                    break;
                }
            }
        }
        if complete {
            let _ = rows.send(workbook::Message::End).await;
        }
        drop(rows);
        match writer.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) if complete => {
                tracing::error!(error = %e, "an XLSX export failed");
                let _ = chunks.send(Err(std::io::Error::other(e.to_string()))).await;
            }
            Ok(Err(_)) => {}
            Err(e) => tracing::error!(error = %e, "the XLSX writer panicked"),
        }
    });
    Body::from_stream(tokio_stream_of(response))
}

fn tokio_stream_of(
    mut rx: mpsc::Receiver<std::io::Result<Bytes>>,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// The response that downloads a table as a file named `<table>-<stamp>.<extension>`.
pub fn response(table: Table, format: Format, stamp: &str) -> Result<Response, ActionError> {
    let file = format!("{}-{stamp}.{}", table.name, format.extension());
    let body = match format {
        Format::Csv => csv_body(table, Encoding::Utf8Bom),
        Format::CsvGb18030 => csv_body(table, Encoding::Gb18030),
        Format::Xlsx => xlsx_body(table),
    };
    let mut response = Response::new(body);
    let headers = [
        (header::CONTENT_TYPE, content_type(format).to_owned()),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        (header::CACHE_CONTROL, "no-store".to_owned()),
    ];
    for (name, value) in headers {
        let value =
            HeaderValue::from_str(&value).map_err(|e| ActionError::Internal(e.to_string()))?;
        response.headers_mut().insert(name, value);
    }
    Ok(response)
}
