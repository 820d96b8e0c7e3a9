# docs/pipeline.gp - rows/s against the writer's batch size, SQLite and PostgreSQL, with the
# batch each pipeline chose marked. Input: sink_batch.dat (written by scripts/bench sink).
# Run from docs/: gnuplot pipeline.gp  ->  pipeline_batch.png
set terminal pngcairo size 900,540 font ",11"
set output "pipeline_batch.png"
set title "Writer throughput against batch size (one transaction per batch)"
set xlabel "rows per batch (commit)"
set ylabel "rows/s"
set logscale xy
set grid
set key top left
chosen_sqlite = real(system("awk '/^# chosen:/ {print $4}' sink_batch.dat"))
chosen_pg = real(system("awk '/^# chosen:/ {print $6}' sink_batch.dat"))
set arrow 1 from chosen_sqlite, graph 0 to chosen_sqlite, graph 1 nohead dt 2 lw 2 lc rgb "#1f77b4"
set label 1 sprintf("SQLite: chosen %d", chosen_sqlite) at chosen_sqlite, graph 0.08 offset 0.5,0 tc rgb "#1f77b4"
if (chosen_pg > 0) {
  set arrow 2 from chosen_pg, graph 0 to chosen_pg, graph 1 nohead dt 2 lw 2 lc rgb "#d62728"
  set label 2 sprintf("PostgreSQL: chosen %d", chosen_pg) at chosen_pg, graph 0.16 offset 0.5,0 tc rgb "#d62728"
}
plot "sink_batch.dat" using 1:2 with linespoints lw 2 pt 7 lc rgb "#1f77b4" title "SQLite (WAL, file)", \
     "" using 1:($3 > 0 ? $3 : 1/0) with linespoints lw 2 pt 5 lc rgb "#d62728" title "PostgreSQL 15 (local socket)"
