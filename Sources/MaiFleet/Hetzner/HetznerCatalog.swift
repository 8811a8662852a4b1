/// `GET /server_types` item (prices are left out: look them up in the console, never compute with floats).
public struct HetznerServerType: Sendable, Hashable, Codable {
    public var id: Int
    public var name: String
    public var description: String
    public var cores: Int
    /// GB; Hetzner sends a JSON number such as 4.0.
    public var memory: Double
    /// GB.
    public var disk: Int
    public var architecture: String
    public var cpuType: String
    public var deprecated: Bool?

    enum CodingKeys: String, CodingKey { case id, name, description, cores, memory, disk, architecture, cpuType = "cpu_type", deprecated }
}

/// `GET /locations` item.
public struct HetznerLocation: Sendable, Hashable, Codable {
    public var id: Int
    public var name: String
    public var description: String
    public var country: String
    public var city: String
    public var networkZone: String

    enum CodingKeys: String, CodingKey { case id, name, description, country, city, networkZone = "network_zone" }
}

/// `GET /images` item.
public struct HetznerImage: Sendable, Hashable, Codable {
    public var id: Int
    /// `system`, `snapshot`, `backup`, `app`.
    public var type: String
    public var status: String
    public var name: String?
    public var description: String
    public var osFlavor: String
    public var osVersion: String?
    public var architecture: String

    enum CodingKeys: String, CodingKey {
        case id, type, status, name, description, osFlavor = "os_flavor", osVersion = "os_version", architecture
    }
}

/// `meta.pagination`.
public struct HetznerPagination: Sendable, Hashable, Codable {
    public var page: Int
    public var perPage: Int
    public var previousPage: Int?
    public var nextPage: Int?
    public var lastPage: Int?
    public var totalEntries: Int?

    enum CodingKeys: String, CodingKey {
        case page, perPage = "per_page", previousPage = "previous_page", nextPage = "next_page", lastPage = "last_page", totalEntries = "total_entries"
    }
}
