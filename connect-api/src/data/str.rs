//! [`Str`]: an immutable UTF-8 string that shares its bytes.
//!
//! Strings decoded from a record (by the String or JSON converter) are slices of the record's own
//! buffer, so handing them on costs a reference count, not a copy.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::str::Utf8Error;

use bytes::Bytes;

/// A cheaply clonable, immutable UTF-8 string backed by [`Bytes`].
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Str(Bytes);

impl Str {
    /// An empty string.
    pub const fn new() -> Self {
        Self(Bytes::new())
    }

    /// A string that borrows a `'static` literal, without allocating.
    pub const fn from_static(s: &'static str) -> Self {
        Self(Bytes::from_static(s.as_bytes()))
    }

    /// Checks that `bytes` are UTF-8 and wraps them without copying.
    #[inline]
    pub fn from_utf8(bytes: Bytes) -> Result<Self, Utf8Error> {
        std::str::from_utf8(&bytes)?;
        Ok(Self(bytes))
    }

    /// Shares `slice` when it lies inside `bytes` (a `&str` borrowed from the same buffer),
    /// copies it otherwise.
    #[inline]
    pub fn from_checked_slice(bytes: &Bytes, slice: &str) -> Self {
        let base = bytes.as_ptr() as usize;
        let start = slice.as_ptr() as usize;
        let inside = start >= base && start + slice.len() <= base + bytes.len();
        if inside && !slice.is_empty() {
            Self(bytes.slice_ref(slice.as_bytes()))
        } else {
            Self::from(slice)
        }
    }

    /// The text.
    #[inline]
    pub fn as_str(&self) -> &str {
        // SAFETY: every constructor either validates the bytes (`from_utf8`) or takes them from a
        // `&str`/`String` (`from_static`, `from_checked_slice`, the `From` impls), and the bytes
        // are never mutated afterwards.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }

    /// The UTF-8 bytes, shared.
    #[inline]
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// Gives up the string, keeping its bytes.
    #[inline]
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl Deref for Str {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Str {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

// `Borrow<str>` requires hashing like `str`, which hashes differently from `Bytes`.
impl Hash for Str {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<String> for Str {
    fn from(s: String) -> Self {
        Self(Bytes::from(s.into_bytes()))
    }
}

impl From<&str> for Str {
    fn from(s: &str) -> Self {
        Self(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl From<Str> for Bytes {
    fn from(s: Str) -> Self {
        s.0
    }
}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Str {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_share_the_buffer() {
        let buf = Bytes::from_static(b"hello world");
        let text = std::str::from_utf8(&buf).unwrap();
        let world = Str::from_checked_slice(&buf, &text[6..]);
        assert_eq!(world, "world");
        assert_eq!(world.as_bytes().as_ptr(), buf[6..].as_ptr());
        let elsewhere = Str::from_checked_slice(&buf, "other");
        assert_eq!(elsewhere, "other");
    }

    #[test]
    fn rejects_invalid_utf8() {
        let err = Str::from_utf8(Bytes::from_static(b"ok\xff")).unwrap_err();
        assert_eq!(err.valid_up_to(), 2);
    }

    #[test]
    fn hashes_like_str() {
        use std::collections::HashSet;
        let set: HashSet<Str> = [Str::from("a")].into_iter().collect();
        assert!(set.contains("a"));
    }
}
