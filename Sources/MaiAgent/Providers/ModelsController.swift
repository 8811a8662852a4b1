import Foundation
import Hummingbird

/// `GET /api/models` (the web UI's picker), `GET /v1/models` (OpenAI SDKs), and the admin's model
/// settings `GET/POST /api/v1/configs/models` (default model, hidden models).
struct ModelsController {
    let services: AgentServices

    func addRoutes(to routes: RouteRegistrar) {
        routes.get("/api/models", .user, use: list)
        routes.get("/v1/models", .user, use: openAIList)
        routes.get("/api/v1/configs/models", .admin, use: config)
        routes.post("/api/v1/configs/models", .admin, use: updateConfig)
    }

    struct ModelResponse: Codable {
        struct Pricing: Codable {
            var prompt: String?
            var completion: String?
        }
        var id: String
        var name: String
        var object = "model"
        var created: Int64
        var owned_by: String
        var connection_id: String
        var context_length: Int?
        var pricing: Pricing?
        var hidden: Bool
    }

    struct ModelList: ResponseCodable {
        var data: [ModelResponse]
        var default_model: String?
    }

    /// Visible models (admins: all, hidden ones marked), default model first in the admin's eyes.
    @Sendable func list(_ request: Request, context: AgentRequestContext) async throws -> ModelList {
        let identity = try context.requireIdentity()
        let refresh = request.uri.queryParameters.get("refresh") == "true" && identity.user.role == .admin
        let settings = try await services.modelSettings()
        let entries = await services.catalog.entries(for: try await services.connections.enabled(), providers: services.providerFactory, refresh: refresh)
        let models = entries.compactMap { entry -> ModelResponse? in
            let hidden = settings.hidden.contains(entry.id)
            if hidden, identity.user.role != .admin { return nil }
            return ModelResponse(id: entry.id, name: entry.name, created: entry.created ?? 0, owned_by: entry.kind.rawValue,
                                 connection_id: entry.connectionID, context_length: entry.contextLength,
                                 pricing: .init(prompt: entry.promptPrice, completion: entry.completionPrice), hidden: hidden)
        }
        let defaultModel = settings.defaultModel.flatMap { id in models.contains { $0.id == id && !$0.hidden } ? id : nil }
        return ModelList(data: models, default_model: defaultModel ?? models.first { !$0.hidden }?.id)
    }

    struct OpenAIModel: Codable {
        var id: String
        var object = "model"
        var created: Int64
        var owned_by: String
    }

    struct OpenAIModelList: ResponseCodable {
        var object = "list"
        var data: [OpenAIModel]
    }

    @Sendable func openAIList(_ request: Request, context: AgentRequestContext) async throws -> OpenAIModelList {
        let visible = try await list(request, context: context).data.filter { !$0.hidden }
        return OpenAIModelList(data: visible.map { OpenAIModel(id: $0.id, created: $0.created, owned_by: $0.owned_by) })
    }

    struct ModelsConfig: ResponseCodable {
        var DEFAULT_MODELS: String?
        var HIDDEN_MODELS: [String]
    }

    @Sendable func config(_ request: Request, context: AgentRequestContext) async throws -> ModelsConfig {
        let settings = try await services.modelSettings()
        return ModelsConfig(DEFAULT_MODELS: settings.defaultModel, HIDDEN_MODELS: settings.hidden.sorted())
    }

    struct ModelsConfigForm: Decodable {
        var DEFAULT_MODELS: String?
        var HIDDEN_MODELS: [String]?
    }

    @Sendable func updateConfig(_ request: Request, context: AgentRequestContext) async throws -> ModelsConfig {
        var request = request
        let form = try await request.decodeJSON(as: ModelsConfigForm.self, limit: services.config.maxJSONBodyBytes)
        var values: [String: String] = [:]
        if let model = form.DEFAULT_MODELS {
            guard model.count <= 256 else { throw APIError(.badRequest, "DEFAULT_MODELS is not a model id.") }
            values[ModelSettings.defaultKey] = model
        }
        if let hidden = form.HIDDEN_MODELS {
            guard hidden.count <= 10_000, hidden.allSatisfy({ $0.count <= 256 }) else {
                throw APIError(.badRequest, "HIDDEN_MODELS must be a list of model ids.")
            }
            values[ModelSettings.hiddenKey] = String(decoding: try JSONEncoder().encode(Array(Set(hidden)).sorted()), as: UTF8.self)
        }
        guard !values.isEmpty else { throw APIError(.badRequest, "Nothing to change: send DEFAULT_MODELS or HIDDEN_MODELS.") }
        if let model = values[ModelSettings.defaultKey], !model.isEmpty, values[ModelSettings.hiddenKey].map({ $0.contains("\"\(model)\"") }) == true {
            throw APIError(.badRequest, "The default model cannot be hidden.")
        }
        try await services.settings.repository.store(values, by: try context.requireIdentity().user.id, now: services.clock.seconds)
        return try await config(request, context: context)
    }
}
