using Crane.Actors.Hosting;
using Microsoft.AspNetCore.Http.Features;

namespace Crane.Seed.Security;

/// <summary>
/// In front of every request: the Host header must name this seed (DNS rebinding), a write from a browser must come
/// from the dashboard's own origin, the route's role needs a bearer token that has it, a POST body must be JSON or
/// YAML (no "simple" cross-site form or text/plain post), and no body is over 1 MiB. Each refusal is a JSON error.
/// </summary>
internal sealed class ApiGuard(RequestDelegate next, ApiTokens tokens, CraneOptions options)
{
    public const long MaxBodyBytes = 1024 * 1024;
    private const string PrincipalKey = "crane.principal";

    private static readonly string[] WriteTypes =
        ["application/json", "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"];

    private readonly HashSet<string> _hosts = AllowedHosts(options);

    /// <summary>The caller of this request (after the guard let it through), or null on an open route.</summary>
    public static ApiPrincipal? Principal(HttpContext context) => context.Items[PrincipalKey] as ApiPrincipal;

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        var required = ApiAccess.Required(request.Method, path, options.MetricsAuth);
        if (path is not ("/healthz" or "/readyz" or "/metrics") && !_hosts.Contains("*") && !_hosts.Contains(request.Host.Host.Trim('[', ']')))
        {
            await Refuse(context, 400, $"Host '{request.Host.Host}' is not served here (allowed: {string.Join(", ", _hosts.Order(StringComparer.Ordinal))}; add names with --allowed-hosts)");
            return;
        }

        if (required is { } role)
        {
            var token = BearerToken(request);
            if (token is null || tokens.Authenticate(token) is not { } principal)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer realm=\"crane\"";
                await Refuse(context, 401, token is null
                    ? "this needs a bearer token: send 'Authorization: Bearer <token>' (./run.sh printed the admin token; it is in <data-dir>/admin.token)"
                    : "the bearer token is not valid here");
                return;
            }

            if (!ApiAccess.Allows(principal.Role, role))
            {
                await Refuse(context, 403, $"{principal.Name} (role {Name(principal.Role)}) may not {request.Method} {path}: that needs the role {Name(role)}");
                return;
            }

            context.Items[PrincipalKey] = principal;
        }

        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && !HttpMethods.IsOptions(request.Method))
        {
            if (request.Headers.Origin.FirstOrDefault() is { Length: > 0 } origin && !SameOrigin(origin, request))
            {
                await Refuse(context, 403, $"a write from another origin ({origin}) is refused; use the dashboard at {request.Scheme}://{request.Host} or the CLI");
                return;
            }

            if (HttpMethods.IsPost(request.Method) && HasBody(request) && !IsWriteType(request.ContentType))
            {
                await Refuse(context, 415, $"a POST body must be application/json or application/yaml, not '{request.ContentType ?? "none"}'");
                return;
            }

            if (request.ContentLength > MaxBodyBytes)
            {
                await Refuse(context, 413, $"the body is {request.ContentLength} bytes; at most {MaxBodyBytes} (1 MiB) are accepted");
                return;
            }

            // A chunked body has no length up front: Kestrel stops reading it at the limit (a 413 through ApiErrors).
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
                limit.MaxRequestBodySize = MaxBodyBytes;
        }

        await next(context);
    }

    private static string Name(ApiRole role) => role.ToString().ToLowerInvariant();

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.FirstOrDefault();
        return header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    private static bool SameOrigin(string origin, HttpRequest request) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);

    private static bool HasBody(HttpRequest request) => request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);

    private static bool IsWriteType(string? contentType)
    {
        var mediaType = contentType?.Split(';')[0].Trim();
        return mediaType is not null && WriteTypes.Contains(mediaType, StringComparer.OrdinalIgnoreCase);
    }

    private static HashSet<string> AllowedHosts(CraneOptions options)
    {
        var hosts = new HashSet<string>(["localhost", "127.0.0.1", "::1", options.Hostname, options.HttpBind], StringComparer.OrdinalIgnoreCase);
        hosts.UnionWith(options.AllowedHosts);
        hosts.ExceptWith(["0.0.0.0", "::"]);
        return hosts;
    }

    private static async Task Refuse(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        await context.Response.WriteAsJsonAsync(new { error = message });
    }
}
