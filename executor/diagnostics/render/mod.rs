//! Drawing a [`Trace`](crate::trace::Trace): a terminal timeline, an SVG
//! picture, Chrome trace-event JSON, a replay for the book's widget. Pure
//! functions of the recorded events.

mod chrome;
mod replay;
mod svg;
mod timeline;

pub(crate) use chrome::to_chrome_json;
pub(crate) use replay::to_replay_json;
pub use svg::svg;
pub use timeline::Timeline;
