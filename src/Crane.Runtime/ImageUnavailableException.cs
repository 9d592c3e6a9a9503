namespace Crane.Runtime;

/// <summary>The image is not present on the engine and could not be pulled.</summary>
public sealed class ImageUnavailableException(string image, string message) : Exception(message)
{
    public string Image { get; } = image;
}
