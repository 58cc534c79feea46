// The tapegrad command's train and graph subcommands, run as a user would: exit codes, messages,
// files written.
#ifdef TAPEGRAD_CLI_PATH
#include <fstream>
#include <string>

#include <doctest/doctest.h>

#include "cli_run.hpp"

TEST_CASE("tapegrad train: micrograd's demo from the command line, with plots and a checkpoint") {
    Scratch s;
    const Run r = run("train --seed 3 --save " + (s / "m.tg") + " --plot " + (s / "plots"));
    CHECK(r.status == 0);
    CHECK(r.out.find("MLP(2, [16, 16, 1]) on the scalar engine, 337 parameters") != std::string::npos);
    CHECK(r.out.find("epoch 100/100") != std::string::npos);  // not a terminal: plain log lines
    CHECK(r.out.find("\r") == std::string::npos);
    CHECK(r.out.find("steps/s") != std::string::npos);
    CHECK(fs::exists(s / "m.tg"));
    const std::string loss = slurp(s / "plots/loss.svg");
    CHECK(loss.rfind("<svg", 0) == 0);
    CHECK(count(loss, "<polyline class=\"loss\"") == 1);
    CHECK(count(loss, "</svg>") == 1);
    const std::string boundary = slurp(s / "plots/boundary.svg");
    CHECK(count(boundary, "<circle") == 100);  // one per point
    CHECK(count(boundary, "<rect") > 1000);    // the coloured grid

    // Loading the checkpoint with 0 epochs reproduces the trained accuracy.
    const std::size_t at = r.out.find("training accuracy");
    REQUIRE(at != std::string::npos);
    const std::string acc = r.out.substr(at, 25);
    const Run again = run("train --seed 3 --epochs 0 --load " + (s / "m.tg"));
    CHECK(again.status == 0);
    CHECK(again.out.find(acc) != std::string::npos);
    // ... and into another architecture it fails with exit 1 and names the difference.
    const Run wrong = run("train --model 2,8,1 --epochs 0 --load " + (s / "m.tg"));
    CHECK(wrong.status == 1);
    CHECK(wrong.out.find("does not fit this MLP(2, [8, 1])") != std::string::npos);
}

TEST_CASE("tapegrad train --tensor on the spiral, and a CSV file") {
    Scratch s;
    const Run t = run("train --tensor --data spiral --optimizer adam --epochs 300");
    CHECK(t.status == 0);
    CHECK(t.out.find("Sequential(Linear(in=2, out=16), ReLU(), Linear(in=16, out=16), ReLU(), Linear(in=16, out=3)) on "
                     "the tensor engine") != std::string::npos);
    {
        std::ofstream csv(s / "d.csv");
        csv << "a,b,label\n";
        for (int i = 0; i < 40; ++i) csv << i << "," << (i % 7) << "," << (i < 20 ? "3" : "7") << "\n";
    }
    const Run c = run("train --csv " + (s / "d.csv") + " --target label --epochs 50");
    CHECK(c.status == 0);
    CHECK(c.out.find("40 points, 2 features, 2 classes") != std::string::npos);
    CHECK(c.out.find("training accuracy 100.0% (40/40)") != std::string::npos);
    {
        std::ofstream bad(s / "bad.csv");
        bad << "a,b,label\n1,2,0\n3,x,1\n";
    }
    const Run b = run("train --csv " + (s / "bad.csv") + " --target label");
    CHECK(b.status == 1);
    CHECK(b.out.find("line 3, column 2 ('b'): 'x' is not a finite number") != std::string::npos);
    CHECK(count(b.out, "\n") == 1);  // one line
}

TEST_CASE("tapegrad train and graph: usage errors exit 2 with one line, --help exits 0") {
    for (const char* args :
         {"train --epochs many", "train --optimizer rmsprop", "train --model 3,4,1", "train --data iris",
          "train --csv x.csv", "train --bogus", "train --model 2,4,3", "graph --model 2", "graph --out"}) {
        CAPTURE(args);
        const Run r = run(args);
        CHECK(r.status == 2);
        CHECK(count(r.out, "\n") == 1);
        CHECK(r.out.rfind("tapegrad ", 0) == 0);
    }
    CHECK(run("train --epochs many").out.find("--epochs: 'many' is not a whole number") != std::string::npos);
    CHECK(run("train --model 3,4,1").out.find("--model starts with 3 inputs, the data has 2 features") !=
          std::string::npos);
    for (const char* args : {"train --help", "graph --help"}) {
        const Run r = run(args);
        CHECK(r.status == 0);
        CHECK(r.out.rfind("usage: tapegrad ", 0) == 0);
    }
    const Run missing = run("train --load /nonexistent/m.tg --epochs 0");
    CHECK(missing.status == 1);
}

TEST_CASE("tapegrad graph: DOT of one forward and backward pass") {
    Scratch s;
    const Run r = run("graph --model 2,2,1");
    CHECK(r.status == 0);
    CHECK(r.out.rfind("digraph", 0) == 0);
    CHECK(r.out.find("dot") != std::string::npos);  // the fused dot nodes of the neurons
    CHECK(r.out.find("relu") != std::string::npos);
    const Run f = run("graph --out " + (s / "g.dot"));
    CHECK(f.status == 0);
    CHECK(slurp(s / "g.dot").rfind("digraph", 0) == 0);
    if (f.out.find(".svg") != std::string::npos) CHECK(slurp(s / "g.svg").find("<svg") != std::string::npos);
}
#endif
