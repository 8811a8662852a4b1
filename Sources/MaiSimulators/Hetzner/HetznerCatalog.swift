/// The server types, locations and images the simulator knows (names as on Hetzner in 2025–26).
enum HetznerCatalog {
    struct ServerType {
        var id: Int
        var name: String
        var description: String
        var cores: Int
        var memory: String
        var disk: Int
        var cpuType: String
        var architecture: String
        var deprecated: Bool
        /// Monthly net price, a decimal string (never a float).
        var monthly: String
    }

    struct Location {
        var id: Int
        var name: String
        var description: String
        var country: String
        var city: String
        var latitude: String
        var longitude: String
        var networkZone: String
        var datacenterID: Int
        var datacenter: String
    }

    struct Image {
        var id: Int
        var name: String
        var description: String
        var osFlavor: String
        var osVersion: String
        var architecture: String
    }

    static let serverTypes: [ServerType] = [
        ServerType(id: 104, name: "cx22", description: "CX22", cores: 2, memory: "4.0", disk: 40, cpuType: "shared", architecture: "x86", deprecated: true, monthly: "3.7900000000"),
        ServerType(id: 114, name: "cx23", description: "CX23", cores: 2, memory: "4.0", disk: 40, cpuType: "shared", architecture: "x86", deprecated: false, monthly: "3.4900000000"),
        ServerType(id: 115, name: "cx33", description: "CX33", cores: 4, memory: "8.0", disk: 80, cpuType: "shared", architecture: "x86", deprecated: false, monthly: "5.4900000000"),
        ServerType(id: 116, name: "cx43", description: "CX43", cores: 8, memory: "16.0", disk: 160, cpuType: "shared", architecture: "x86", deprecated: false, monthly: "9.4900000000"),
        ServerType(id: 117, name: "cx53", description: "CX53", cores: 16, memory: "32.0", disk: 320, cpuType: "shared", architecture: "x86", deprecated: false, monthly: "17.4900000000"),
        ServerType(id: 118, name: "cpx22", description: "CPX22", cores: 2, memory: "4.0", disk: 80, cpuType: "shared", architecture: "x86", deprecated: false, monthly: "6.4900000000"),
        ServerType(id: 119, name: "cpx32", description: "CPX32", cores: 4, memory: "8.0", disk: 160, cpuType: "shared", architecture: "x86", deprecated: false, monthly: "11.4900000000"),
        ServerType(id: 45, name: "cax11", description: "CAX11", cores: 2, memory: "4.0", disk: 40, cpuType: "shared", architecture: "arm", deprecated: false, monthly: "3.7900000000"),
        ServerType(id: 93, name: "cax21", description: "CAX21", cores: 4, memory: "8.0", disk: 80, cpuType: "shared", architecture: "arm", deprecated: false, monthly: "6.4900000000"),
        ServerType(id: 94, name: "cax31", description: "CAX31", cores: 8, memory: "16.0", disk: 160, cpuType: "shared", architecture: "arm", deprecated: false, monthly: "12.4900000000"),
        ServerType(id: 95, name: "cax41", description: "CAX41", cores: 16, memory: "32.0", disk: 320, cpuType: "shared", architecture: "arm", deprecated: false, monthly: "24.4900000000"),
    ]

    static let locations: [Location] = [
        Location(id: 1, name: "fsn1", description: "Falkenstein DC Park 1", country: "DE", city: "Falkenstein", latitude: "50.47612", longitude: "12.370071", networkZone: "eu-central", datacenterID: 4, datacenter: "fsn1-dc14"),
        Location(id: 2, name: "nbg1", description: "Nuremberg DC Park 1", country: "DE", city: "Nuremberg", latitude: "49.452102", longitude: "11.076665", networkZone: "eu-central", datacenterID: 2, datacenter: "nbg1-dc3"),
        Location(id: 3, name: "hel1", description: "Helsinki DC Park 1", country: "FI", city: "Helsinki", latitude: "60.169855", longitude: "24.938379", networkZone: "eu-central", datacenterID: 3, datacenter: "hel1-dc2"),
        Location(id: 4, name: "ash", description: "Ashburn, VA", country: "US", city: "Ashburn, VA", latitude: "39.045821", longitude: "-77.487073", networkZone: "us-east", datacenterID: 5, datacenter: "ash-dc1"),
        Location(id: 5, name: "hil", description: "Hillsboro, OR", country: "US", city: "Hillsboro, OR", latitude: "45.54222", longitude: "-122.951924", networkZone: "us-west", datacenterID: 6, datacenter: "hil-dc1"),
        Location(id: 6, name: "sin", description: "Singapore", country: "SG", city: "Singapore", latitude: "1.283333", longitude: "103.833333", networkZone: "ap-southeast", datacenterID: 7, datacenter: "sin-dc1"),
    ]

    static let images: [Image] = [
        Image(id: 114690387, name: "debian-12", description: "Debian 12", osFlavor: "debian", osVersion: "12", architecture: "x86"),
        Image(id: 114690389, name: "debian-13", description: "Debian 13", osFlavor: "debian", osVersion: "13", architecture: "x86"),
        Image(id: 161547269, name: "ubuntu-24.04", description: "Ubuntu 24.04", osFlavor: "ubuntu", osVersion: "24.04", architecture: "x86"),
        Image(id: 103908130, name: "ubuntu-22.04", description: "Ubuntu 22.04", osFlavor: "ubuntu", osVersion: "22.04", architecture: "x86"),
    ]

    static func serverType(_ reference: String) -> ServerType? {
        serverTypes.first { $0.name == reference || String($0.id) == reference }
    }

    static func location(_ reference: String) -> Location? {
        locations.first { $0.name == reference || String($0.id) == reference }
    }

    static func image(_ reference: String) -> Image? {
        images.first { $0.name == reference || String($0.id) == reference }
    }
}
