import Foundation
import GRDB

/// The vectors of one embedding model held in memory as one flat matrix of unit vectors, so a
/// question is compared with every passage without reading the blobs from SQLite each time.
/// Loaded on first use and again after `invalidate()` (new vectors stored, files deleted). Access
/// is never decided here: the caller passes the file ids it may see, and passages of deleted files
/// still in memory are dropped when their rows are fetched.
actor VectorIndex {
    private let pool: DatabasePool
    private var model: String?
    private var ids: [Int64] = []
    private var fileOrdinals: [Int32] = []
    private var fileIDs: [String] = []
    private var matrix: [Float] = []
    private var dimensions = 0
    private var stale = true

    init(pool: DatabasePool) {
        self.pool = pool
    }

    func invalidate() {
        stale = true
    }

    /// The `limit` passages of `allowed` files most similar to `query` (cosine), best first.
    func nearest(_ query: [Float], model: String, allowed: Set<String>, limit: Int) async throws -> [(id: Int64, cosine: Double)] {
        if stale || self.model != model { try await load(model: model) }
        guard dimensions > 0, query.count == dimensions else { return [] }
        var norm: Float = 0
        for value in query { norm += value * value }
        guard norm > 0 else { return [] }
        let unit = query.map { $0 / norm.squareRoot() }
        var allowedMask = [Bool](repeating: false, count: fileIDs.count)
        for (ordinal, file) in fileIDs.enumerated() where allowed.contains(file) { allowedMask[ordinal] = true }
        // The best `limit` so far, best first; a new score enters only if it beats the worst kept.
        var best: [(row: Int, score: Float)] = []
        best.reserveCapacity(limit + 1)
        let count = ids.count, width = dimensions
        matrix.withUnsafeBufferPointer { rows in
            unit.withUnsafeBufferPointer { q in
                for row in 0..<count where allowedMask[Int(fileOrdinals[row])] {
                    let dot = Self.dot(rows.baseAddress! + row * width, q.baseAddress!, width)
                    if best.count == limit, let worst = best.last, dot <= worst.score { continue }
                    let index = best.firstIndex { $0.score < dot } ?? best.count
                    best.insert((row, dot), at: index)
                    if best.count > limit { best.removeLast() }
                }
            }
        }
        return best.map { (id: ids[$0.row], cosine: Double($0.score)) }
    }

    /// Dot product, eight lanes at a time.
    private static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var sum = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            sum += x * y
            i += 8
        }
        var total = sum.sum()
        while i < count {
            total += a[i] * b[i]
            i += 1
        }
        return total
    }

    private func load(model: String) async throws {
        let loaded = try await pool.read { db -> (ids: [Int64], files: [Int32], fileIDs: [String], matrix: [Float], dimensions: Int) in
            var ids: [Int64] = [], files: [Int32] = [], fileIDs: [String] = [], matrix: [Float] = []
            var ordinals: [String: Int32] = [:]
            var dimensions = 0
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT v.chunk_id, c.file_id, v.vector FROM chunk_vectors v JOIN file_chunks c ON c.id = v.chunk_id WHERE v.model = ?
                """, arguments: [model])
            while let row = try cursor.next() {
                let vector = VectorCodec.decode(row["vector"] as Data)
                if dimensions == 0 { dimensions = vector.count }
                guard vector.count == dimensions, dimensions > 0 else { continue }
                var norm: Float = 0
                for value in vector { norm += value * value }
                let scale = norm > 0 ? 1 / norm.squareRoot() : 0
                let file: String = row["file_id"]
                let ordinal = ordinals[file] ?? {
                    let next = Int32(fileIDs.count)
                    fileIDs.append(file)
                    ordinals[file] = next
                    return next
                }()
                ids.append(row["chunk_id"])
                files.append(ordinal)
                matrix.append(contentsOf: vector.map { $0 * scale })
            }
            return (ids, files, fileIDs, matrix, dimensions)
        }
        self.model = model
        ids = loaded.ids
        fileOrdinals = loaded.files
        fileIDs = loaded.fileIDs
        matrix = loaded.matrix
        dimensions = loaded.dimensions
        stale = false
    }
}
