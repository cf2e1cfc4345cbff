// tools/lead_line.hpp -- a line held back until the stream it leads is first written to: the
// training tools' "kernels: ..." line goes out just before the run's first progress line, so a
// run refused at start (a busy --out folder, no room, ulimit -f) prints only its one error line.
#ifndef XRNN_TOOLS_LEAD_LINE_HPP
#define XRNN_TOOLS_LEAD_LINE_HPP

#include <ostream>
#include <streambuf>
#include <string>
#include <utility>

namespace xrnn_cli
{
    // Unbuffered: every write goes straight to `out`, after `line` the first time.
    class LeadLine : public std::streambuf
    {
    public:
        LeadLine(std::ostream& out, std::string line) : out_(out), line_(std::move(line)) {}

    protected:
        int overflow(int ch) override
        {
            lead();
            if (ch != traits_type::eof())
                out_.put(static_cast<char>(ch));
            return out_ ? traits_type::not_eof(ch) : traits_type::eof();
        }
        std::streamsize xsputn(const char* s, std::streamsize n) override
        {
            lead();
            out_.write(s, n);
            return out_ ? n : 0;
        }
        int sync() override
        {
            out_.flush();
            return out_ ? 0 : -1;
        }

    private:
        void lead()
        {
            if (line_.empty())
                return;
            out_ << line_ << '\n';
            line_.clear();
        }
        std::ostream& out_;
        std::string line_;
    };
}

#endif
