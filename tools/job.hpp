// tools/job.hpp -- the processes a tool runs as: one, or the ranks mpirun started (a build with
// -Dmpi=enabled; dist/mpi_communicator.hpp). MPI is initialised only under mpirun, so a plain
// run never touches it.
#ifndef XRNN_TOOLS_JOB_HPP
#define XRNN_TOOLS_JOB_HPP

#include <xrnn/communicator.hpp>

#ifdef XRNN_HAVE_MPI
#include <xrnn/dist/mpi_communicator.hpp>
#endif

#include <iostream>
#include <memory>
#include <string>

namespace xrnn_cli
{
    class Job
    {
    public:
        Job(int* argc, char*** argv)
        {
#ifdef XRNN_HAVE_MPI
            if (xrnn::dist::launched_by_mpi())
            {
                mpi_ = std::make_unique<xrnn::dist::MpiCommunicator>(argc, argv);
                comm_ = mpi_.get();
            }
#else
            (void)argc;
            (void)argv;
#endif
        }
        xrnn::Communicator* comm() { return comm_; }
        bool parallel() const { return comm_->size() > 1; }

        // A rank that fails alone ends the whole job: the others would wait in a collective (or in
        // MPI_Finalize) for ever. One write, so the ranks' lines do not interleave. One process: no-op.
        void end_on_error(const std::string& program, const std::string& message, int status)
        {
            if (!parallel())
                return;
            std::cerr << (program + ": rank " + std::to_string(comm_->rank()) + ": error: " + message + "\n") << std::flush;
            comm_->abort(status);
        }

    private:
        xrnn::Communicator single_;
        xrnn::Communicator* comm_ = &single_;
#ifdef XRNN_HAVE_MPI
        std::unique_ptr<xrnn::dist::MpiCommunicator> mpi_;
#endif
    };
}

#endif
