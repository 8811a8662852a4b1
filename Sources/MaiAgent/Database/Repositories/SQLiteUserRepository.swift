import GRDB

/// `UserRepository` on the agent's SQLite database.
public struct SQLiteUserRepository: UserRepository {
    let pool: DatabasePool

    public init(pool: DatabasePool) {
        self.pool = pool
    }

    public func signUp(_ user: UserRecord, defaults: SignUpDefaults) async throws -> UserRecord {
        try await pool.write { db in
            var user = user
            let existing = try UserRecord.fetchCount(db)
            let stored = try SQLiteSettingsRepository.storedValues(db)
            let open = stored[SettingKey.enableSignup.rawValue].flatMap(Bool.init) ?? defaults.enableSignup
            guard open else { throw AccountError.signUpClosed }
            if existing == 0 {
                user.role = .admin
                // The first account is the admin; from now on the admin adds people.
                try SettingRecord(key: SettingKey.enableSignup.rawValue, value: "false", updatedAt: user.createdAt, updatedBy: user.id)
                    .save(db)
            } else {
                user.role = stored[SettingKey.defaultUserRole.rawValue].flatMap(UserRole.init(rawValue:)) ?? defaults.defaultRole
            }
            try Self.insert(user, db)
            return user
        }
    }

    public func create(_ user: UserRecord) async throws -> UserRecord {
        try await pool.write { db in
            try Self.insert(user, db)
            return user
        }
    }

    public func find(id: String) async throws -> UserRecord? {
        try await pool.read { db in try UserRecord.fetchOne(db, key: id) }
    }

    public func find(email: String) async throws -> UserRecord? {
        try await pool.read { db in
            try UserRecord.filter(UserRecord.CodingKeys.email == email).fetchOne(db)
        }
    }

    public func list(offset: Int, limit: Int) async throws -> (users: [UserRecord], total: Int) {
        try await pool.read { db in
            let users = try UserRecord
                .order(UserRecord.CodingKeys.createdAt, UserRecord.CodingKeys.email)
                .limit(limit, offset: offset)
                .fetchAll(db)
            return (users, try UserRecord.fetchCount(db))
        }
    }

    public func count() async throws -> Int {
        try await pool.read { db in try UserRecord.fetchCount(db) }
    }

    public func update(id: String, now: Int64, _ change: @Sendable (inout UserRecord) -> Void) async throws -> UserRecord {
        try await pool.write { db in
            guard var user = try UserRecord.fetchOne(db, key: id) else { throw AccountError.notFound }
            let before = user
            change(&user)
            let wasAdmin = before.role == .admin && before.isActive
            let staysAdmin = user.role == .admin && user.isActive
            if wasAdmin, !staysAdmin, try Self.otherActiveAdmins(than: id, db) == 0 {
                throw AccountError.lastAdmin
            }
            user.updatedAt = now
            do {
                try user.update(db)
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                throw AccountError.emailTaken
            }
            return user
        }
    }

    public func delete(id: String) async throws {
        try await pool.write { db in
            guard let user = try UserRecord.fetchOne(db, key: id) else { throw AccountError.notFound }
            if user.role == .admin, user.isActive, try Self.otherActiveAdmins(than: id, db) == 0 {
                throw AccountError.lastAdmin
            }
            try user.delete(db)
        }
    }

    public func touch(id: String, now: Int64) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE users SET last_active_at = ? WHERE id = ? AND last_active_at < ?",
                arguments: [now, id, now - 60]
            )
        }
    }

    static func insert(_ user: UserRecord, _ db: Database) throws {
        do {
            try user.insert(db)
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw AccountError.emailTaken
        }
    }

    static func otherActiveAdmins(than id: String, _ db: Database) throws -> Int {
        try UserRecord
            .filter(UserRecord.CodingKeys.role == UserRole.admin.rawValue)
            .filter(UserRecord.CodingKeys.isActive == true)
            .filter(UserRecord.CodingKeys.id != id)
            .fetchCount(db)
    }
}
