using System.Globalization;
using System.Text;

namespace Crane.Actors.LoadBalancing;

public sealed record Endpoint(string ReplicaId, string Host, int Port);

/// <summary>Ready endpoints of one workload that has a port.</summary>
public sealed record WorkloadBackends(string Workload, IReadOnlyList<Endpoint> Endpoints);

/// <summary>Renders the whole nginx.conf from the ready endpoints: pure, so the output is tested as text.</summary>
public static class NginxConfig
{
    public static string Render(string prefix, int listenPort, IEnumerable<WorkloadBackends> workloads)
    {
        var ordered = workloads.OrderBy(w => w.Workload, StringComparer.Ordinal).ToList();
        var port = listenPort.ToString(CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append($$"""
            # Written by Crane's LoadBalancerActor; every change is checked with nginx -t before it replaces this file.
            worker_processes 1;
            pid {{prefix}}/nginx.pid;
            error_log {{prefix}}/error.log warn;
            events { worker_connections 4096; }
            http {
              access_log off;
              client_body_temp_path {{prefix}}/tmp/body;
              proxy_temp_path {{prefix}}/tmp/proxy;
              fastcgi_temp_path {{prefix}}/tmp/fastcgi;
              uwsgi_temp_path {{prefix}}/tmp/uwsgi;
              scgi_temp_path {{prefix}}/tmp/scgi;
              proxy_connect_timeout 2s;
              proxy_read_timeout 60s;
              # A replica that refuses or resets is skipped for the next one, so a stop that races a reload costs no request.
              proxy_next_upstream error timeout http_502 http_503;
              proxy_next_upstream_tries 3;
              proxy_set_header Host $host;
              proxy_set_header X-Forwarded-For $remote_addr;

            """);

        foreach (var w in ordered.Where(w => w.Endpoints.Count > 0))
        {
            sb.Append($"  upstream {UpstreamName(w.Workload)} {{\n");
            foreach (var e in w.Endpoints.OrderBy(e => e.ReplicaId, StringComparer.Ordinal))
                sb.Append($"    server {e.Host}:{e.Port.ToString(CultureInfo.InvariantCulture)} max_fails=0; # {e.ReplicaId}\n");
            sb.Append("  }\n");
        }

        sb.Append($$"""

              server {
                listen 127.0.0.1:{{port}} default_server;
                server_name _;
                location = /crane-lb-health { return 200 "ok\n"; }

            """);
        foreach (var w in ordered)
        {
            sb.Append($"    location /{w.Workload}/ {{\n");
            sb.Append(w.Endpoints.Count > 0
                ? $"      proxy_pass http://{UpstreamName(w.Workload)}/;\n"
                : $"      return 503 \"no ready replicas of {w.Workload}\\n\";\n");
            sb.Append("    }\n");
        }

        sb.Append("    location / { return 404 \"no workload here: use Host: <workload> or /<workload>/\\n\"; }\n  }\n");

        foreach (var w in ordered)
        {
            sb.Append($$"""

                  server {
                    listen 127.0.0.1:{{port}};
                    server_name {{w.Workload}};
                    location / {
                      {{(w.Endpoints.Count > 0 ? $"proxy_pass http://{UpstreamName(w.Workload)};" : $"return 503 \"no ready replicas of {w.Workload}\\n\";")}}
                    }
                  }

                """);
        }

        sb.Append("}\n");
        return sb.ToString();
    }

    public static string UpstreamName(string workload) => "crane_" + workload.Replace('-', '_');
}
