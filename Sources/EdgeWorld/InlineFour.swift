/// Four values held in the record that owns them (a tuple, no allocation), read and written by
/// index: the inline part of the small per-client and per-transfer lists (`FramesInFlight`,
/// `LatestFrames`, `UploadSlots`), which spill past four into storage of their own.
struct InlineFour<Value: BitwiseCopyable & Sendable>: Sendable {
    private var values: (Value, Value, Value, Value)

    init(repeating value: Value) { values = (value, value, value, value) }

    subscript(i: Int) -> Value {
        get {
            precondition(i >= 0 && i < 4)
            return withUnsafeBytes(of: values) { $0.load(fromByteOffset: i * MemoryLayout<Value>.stride, as: Value.self) }
        }
        set {
            precondition(i >= 0 && i < 4)
            withUnsafeMutableBytes(of: &values) { $0.storeBytes(of: newValue, toByteOffset: i * MemoryLayout<Value>.stride, as: Value.self) }
        }
    }
}
