import GRDB
import Hummingbird
import Logging
import NIOHTTP1

/// Turns every error into a `{"detail": …}` answer with the right status. Nothing escapes as a bare 500:
/// an unexpected error is logged with the request id and answered with that id so it can be traced.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AgentRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response(from: request, context: context)
        } catch let error as HTTPError {
            return APIError.response(status: error.status, detail: Self.detail(for: error, request: request), headers: error.headers)
        } catch let error as AccountError {
            let api = Self.apiError(for: error)
            return api.response(from: request, context: context)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
            context.logger.warning("database busy", metadata: ["error": "\(error.resultCode)"])
            return APIError.response(status: .serviceUnavailable, detail: "The database is busy. Try again in a moment.", headers: [.retryAfter: "1"])
        } catch is HTTPParserError {
            // The body stopped being valid HTTP halfway (a broken chunk): the client's fault, not ours.
            return APIError.response(status: .badRequest, detail: MalformedRequestHandler.detail, headers: [.connection: "close"])
        } catch is CancellationError {
            return APIError.response(status: .serviceUnavailable, detail: "The request was cancelled.")
        } catch {
            context.logger.error("unexpected error", metadata: ["error.type": "\(type(of: error))", "error": "\(error)"])
            return APIError.response(
                status: .internalServerError,
                detail: "Something went wrong on the server. Tell your administrator the request id \(context.requestID)."
            )
        }
    }

    static func detail(for error: HTTPError, request: Request) -> String {
        if let body = error.body, !body.isEmpty { return body }
        switch error.status {
        case .notFound: return "Not found: nothing answers \(request.method) \(request.uri.path)."
        case .contentTooLarge: return "The request body is too large."
        case .methodNotAllowed: return "\(request.method) is not allowed on \(request.uri.path)."
        case .badRequest: return "The request is malformed."
        default: return error.status.reasonPhrase
        }
    }

    static func apiError(for error: AccountError) -> APIError {
        switch error {
        case .emailTaken: APIError(.badRequest, "An account with this e-mail address already exists.")
        case .signUpClosed: APIError(.forbidden, "Sign-up is closed. Ask your administrator to create an account for you.")
        case .lastAdmin: APIError(.badRequest, "This would leave no active administrator. Make another account admin first.")
        case .notFound: APIError(.notFound, "No such user.")
        }
    }
}
