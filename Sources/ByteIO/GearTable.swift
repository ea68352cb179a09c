/// The table of the gear rolling hash (as in FastCDC) that cuts content-defined boundaries:
/// `ship`'s chunks (`ChunkPlanner`) and `pack`'s compression blocks (`BlockBoundary`).
///
/// 256 fixed pseudo-random words, splitmix64 from the seed 0x696d67746f6f6c ("imgtool"). Part
/// of both formats' identity: changing it changes every chunk name and every packed archive.
public enum GearTable {
    /// The 256 words, one per byte value.
    public static let values: [UInt64] = {
        var state: UInt64 = 0x69_6D67_746F_6F6C
        return (0..<256).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }()
}
