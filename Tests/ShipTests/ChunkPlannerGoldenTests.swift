import ByteIO
import OCI
import Ship
import TestSupport
import Testing

/// The chunk boundaries on fixed input, as literals. The gear table and the parameters are part of
/// the remote chunk store's format (chunks are named by their digest): a change to either changes
/// every chunk name and stops old chunks on a remote from being reused, which every other
/// ChunkPlanner test would let pass. If one of these fails, the format changed: that must be a
/// decision (and these literals re-recorded with it), never an accident.
@Suite struct ChunkPlannerGoldenTests {
    /// The plan of `bytes` fed in one piece.
    static func plan(_ bytes: [UInt8], _ parameters: ChunkPlanner.Parameters) -> ChunkPlan {
        let planner = ChunkPlanner(parameters: parameters)
        bytes.withUnsafeBytes { planner.feed($0) }
        return planner.finish()
    }

    /// `[offset, length]` of every chunk.
    static func boundaries(_ plan: ChunkPlan) -> [[Int64]] { plan.chunks.map { [$0.offset, Int64($0.length)] } }

    @Test func parameters() {
        let standard = ChunkPlanner.Parameters.standard
        #expect([standard.minimum, standard.maximum] == [2 << 20, 16 << 20])
        #expect(standard.mask == (2 << 20) - 1)
        let small = ChunkPlanner.Parameters(average: 64 << 10)
        #expect([small.minimum, small.maximum] == [32 << 10, 256 << 10])
        #expect(small.mask == (32 << 10) - 1)
    }

    /// 12 MiB of `TS.noise`, default parameters (4 MiB on average).
    @Test func noiseWithTheDefaultParameters() {
        let p = Self.plan(TS.noise(12 << 20, seed: 0x1D_C0DE), .standard)
        #expect(p.size == 12 << 20)
        #expect(p.digest.hex == "50ee94f60ee4b52b7ec31f53c3a4306eb374d03f3fc21d7e1dcdd8de07e097be")
        #expect(Self.boundaries(p) == [[0, 2_147_553], [2_147_553, 3_544_629], [5_692_182, 3_064_555], [8_756_737, 3_826_175]])
        #expect(
            p.chunks.prefix(3).map(\.digest.hex) == [
                "6237364e110f763da00aeb7fda7ec809716a69e46245886c9512516be74075c4",
                "6965bc99d0b30edc2da139dc12c4d6a3221b75796164b41b99c36c5a23a988b4",
                "8767f7d8ee3ad82c745eb94964a34f2d130e225dceda414857dc554dbcb665b7",
            ])
    }

    /// 3 MiB of `TS.noise` with imgtool gzip member headers at five places (the first at 0, two
    /// closer together than the minimum), small parameters (64 KiB on average): boundaries of
    /// both kinds.
    @Test func noiseWithMemberHeadersAndSmallParameters() {
        var bytes = TS.noise(3 << 20, seed: 0x5EED)
        let header: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]
        for at in [0, 100_000, 100_500, 777_777, 2_000_000] {
            bytes.replaceSubrange(at..<at + header.count, with: header)
        }
        let p = Self.plan(bytes, .init(average: 64 << 10))
        #expect(p.size == 3 << 20)
        #expect(p.digest.hex == "6748bd42255c0871df6643a8c20959b520d19828bbc43f5ed663a95b6a7d43d4")
        #expect(
            Self.boundaries(p) == [
                [0, 59850], [59850, 38371], [98221, 1779], [100000, 500], [100500, 43765], [144265, 111051],
                [255316, 69546], [324862, 38810], [363672, 38603], [402275, 45714], [447989, 62598], [510587, 35615],
                [546202, 49056], [595258, 138175], [733433, 42618], [776051, 1726], [777777, 100937], [878714, 55293],
                [934007, 39022], [973029, 69081], [1_042_110, 83284], [1_125_394, 48515], [1_173_909, 76228], [1_250_137, 56263],
                [1_306_400, 40329], [1_346_729, 58112], [1_404_841, 53836], [1_458_677, 63488], [1_522_165, 95065], [1_617_230, 33893],
                [1_651_123, 38899], [1_690_022, 35703], [1_725_725, 49517], [1_775_242, 45706], [1_820_948, 45887], [1_866_835, 88848],
                [1_955_683, 44317], [2_000_000, 106961], [2_106_961, 70343], [2_177_304, 34649], [2_211_953, 85649], [2_297_602, 33745],
                [2_331_347, 140404], [2_471_751, 62096], [2_533_847, 43344], [2_577_191, 65622], [2_642_813, 48279], [2_691_092, 45852],
                [2_736_944, 71172], [2_808_116, 95657], [2_903_773, 51605], [2_955_378, 85321], [3_040_699, 94937], [3_135_636, 10092],
            ])
        #expect(
            p.chunks.prefix(3).map(\.digest.hex) == [
                "b02dbbf3978fee5edc8dc0f03436f5eadbe0da859a7be1865168fc3c248eeeb7",
                "99dcc929b20f41dfec1fe869ea041d81a1f97e48378d7ec6a18957fbb5216bcf",
                "da88717bcf3dc2b4262ddbcd18bad3050a2bf072c5923c850dd8a149278d90f7",
            ])
    }

    /// A real archive (Tests/Fixtures/deploy-v1.tar.gz, gzip from another writer: no member
    /// boundaries): one chunk with the default parameters (it is smaller than the minimum), seven
    /// with small ones.
    @Test func aFixtureWithTheDefaultAndSmallParameters() throws {
        let bytes = try TS.bytes(TS.fixture("deploy-v1.tar.gz"))
        let fileHex = "3b47bb40bc8e9d0200bae2b38c2220acf5b71870e42d5e7a4e2129000c2b8c27"
        let whole = Self.plan(bytes, .standard)
        #expect(whole.digest.hex == fileHex)
        #expect(Self.boundaries(whole) == [[0, 348_256]])
        #expect(whole.chunks.map(\.digest.hex) == [fileHex])

        let small = Self.plan(bytes, .init(average: 64 << 10))
        #expect(small.digest.hex == fileHex)
        #expect(
            Self.boundaries(small) == [
                [0, 61199], [61199, 38853], [100052, 62491], [162543, 50134], [212677, 43152], [255829, 43330], [299159, 49097],
            ])
        #expect(
            small.chunks.prefix(3).map(\.digest.hex) == [
                "0fb0d331abf37d1a12dde0ffdf58ff700c217dfcc0baaef8652b91cee9ddb75a",
                "b368c16453fe681002680404816ba96959f904fee4f464754728621e15cd35ea",
                "3969ab5f060fbf949d67e78c2620d531c2b7f3e2eebd6391ba80c0ef36cb03df",
            ])
    }
}
