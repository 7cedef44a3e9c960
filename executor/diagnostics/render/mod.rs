//! Drawing a [`Trace`]: a terminal timeline, an SVG picture, Chrome
//! trace-event JSON. Pure functions of the recorded events.

mod chrome;
mod svg;
mod timeline;

pub(crate) use chrome::to_chrome_json;
pub use svg::svg;
pub use timeline::Timeline;
