namespace Crane.Seed;

/// <summary>Every failure becomes JSON {"error": ...} with a fitting status; never a stack trace.</summary>
internal sealed class ApiErrors(RequestDelegate next, ILogger<ApiErrors> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Akka.Actor.AskTimeoutException)
        {
            await Write(context, StatusCodes.Status503ServiceUnavailable, "the control plane did not answer in time; try again");
        }
        catch (BadHttpRequestException ex)
        {
            await Write(context, ex.StatusCode, ex.Message);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "request {Method} {Path} failed", context.Request.Method, context.Request.Path);
            await Write(context, StatusCodes.Status500InternalServerError, "internal error: " + ex.Message);
        }
    }

    private static async Task Write(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted)
            return;
        context.Response.StatusCode = status;
        await context.Response.WriteAsJsonAsync(new { error = message });
    }
}
