/// A value given by one thread to another, once: the sending thread gives it up when it wraps it,
/// the receiving thread ``take()``s it, and from then on only the receiver touches it.
///
/// This is how a chain of non-`Sendable` sources (a file, a tap, a decompressor) moves whole to
/// the thread that reads it, instead of being rebuilt there from a raw descriptor. The checking
/// is the protocol above, not the compiler's, hence `@unchecked`: keep every use to "wrap, send,
/// take once".
public final class Handoff<Value>: @unchecked Sendable {
    private var value: Value?

    /// Wraps `value`; the caller must not use it afterwards.
    /// - Parameter value: What is handed over.
    public init(_ value: Value) { self.value = value }

    /// The value, the first time; `nil` after.
    public func take() -> Value? {
        defer { value = nil }
        return value
    }
}
